#!/usr/bin/python3
# smtpd.py: the real SMTP server of the smtp tests and benchmark, aiosmtpd
# (Debian's python3-aiosmtpd; run it with /usr/bin/python3).
#
#   --port N               listen on 127.0.0.1:N (0: any; see --ready)
#   --ready FILE           write the port to FILE once listening
#   --tls CERT KEY         offer STARTTLS with this certificate
#   --no-starttls          never offer STARTTLS (even with --tls)
#   --auth USER PASS       offer AUTH LOGIN/PLAIN and require it
#   --fail-data-once       451 to the first DATA of each Message-ID
#   --reject-rcpt ADDR     550 to RCPT TO:<ADDR> (may be repeated)
#   --drop-mid-data-once   close the connection in the middle of the first
#                          DATA (after its first lines, before the dot)
#   --greeting TEXT        greet with TEXT (as "554 5.7.1 No service"), not 220
#   --refuse-helo          554 to every EHLO and HELO
#   --refuse-mail N        530 (authentication required) to the Nth MAIL FROM
#                          the server gets, counting from 1 (may be repeated)
#   --reject-mail          550 to every MAIL FROM
#   --reject-data          554 to the end of every DATA
#   --answer VERB HEX      answer VERB (MAIL or DATA) with these bytes (hex)
#                          as its whole reply line: any bytes at all, not
#                          UTF-8 (may be repeated, one a verb)
#   --slow SECONDS         wait this long before answering the end of each
#                          DATA (the message received, the reply held)
#   --out DIR              each message received as DIR/N.eml, and a line
#                          of JSON per message in DIR/log.jsonl: {"n",
#                          "mid", "mail_from", "rcpt", "auth", "tls",
#                          "peer" (the client's port: its connection),
#                          "t_in" (the message received), "t_out" (the
#                          reply sent), the times of time.time()}
#                          (no --out: a no-op handler, for the benchmark);
#                          and each MAIL FROM in DIR/mail.log; each
#                          message's end, as it comes (before a --slow
#                          reply), a line in DIR/data.log
import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--ready")
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--no-starttls", action="store_true")
ap.add_argument("--auth", nargs=2, metavar=("USER", "PASS"))
ap.add_argument("--fail-data-once", action="store_true")
ap.add_argument("--reject-rcpt", action="append", default=[])
ap.add_argument("--drop-mid-data-once", action="store_true")
ap.add_argument("--greeting")
ap.add_argument("--refuse-helo", action="store_true")
ap.add_argument("--refuse-mail", type=int, action="append", default=[])
ap.add_argument("--reject-mail", action="store_true")
ap.add_argument("--reject-data", action="store_true")
ap.add_argument("--answer", nargs=2, action="append", default=[],
                metavar=("VERB", "HEX"))
ap.add_argument("--slow", type=float, default=0)
ap.add_argument("--out")
opt = ap.parse_args()
answer = {v.upper(): bytes.fromhex(h) for v, h in opt.answer}

MID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)
state = {"n": 0, "failed": set(), "dropped": False, "mail": 0}
if opt.out:
    os.makedirs(opt.out, exist_ok=True)
    log = open(os.path.join(opt.out, "log.jsonl"), "a", buffering=1)


def message_id(content):
    head = content.split(b"\r\n\r\n", 1)[0]
    m = MID.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, options):
        state["mail"] += 1
        if state["mail"] in opt.refuse_mail:
            return "530 5.7.0 Authentication required"
        if opt.reject_mail:
            return "550 5.7.1 Sender address rejected"
        if opt.out:
            with open(os.path.join(opt.out, "mail.log"), "a") as f:
                f.write("MAIL FROM:<%s> tls=%s auth=%s\n" % (
                    address, session.ssl is not None,
                    session.authenticated))
        if "MAIL" in answer:
            return answer["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.lower() in (a.lower() for a in opt.reject_rcpt):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        t_in = time.time()
        if opt.out:
            with open(os.path.join(opt.out, "data.log"), "a") as f:
                f.write("%s\n" % message_id(envelope.content))
        if opt.slow:
            await asyncio.sleep(opt.slow)
        if opt.reject_data:
            return "554 5.6.0 Message content rejected"
        if "DATA" in answer:
            return answer["DATA"]
        if not opt.out:
            return "250 2.0.0 Ok"
        mid = message_id(envelope.content)
        if opt.fail_data_once and mid not in state["failed"]:
            state["failed"].add(mid)
            return "451 4.3.0 Try again later"
        state["n"] += 1
        n = state["n"]
        with open(os.path.join(opt.out, "%d.eml" % n), "wb") as f:
            f.write(envelope.content)
        log.write(json.dumps({
            "n": n, "mid": mid, "mail_from": envelope.mail_from,
            "rcpt": envelope.rcpt_tos,
            "auth": session.authenticated,
            "tls": session.ssl is not None,
            "peer": session.peer[1] if session.peer else None,
            "t_in": t_in, "t_out": time.time()}) + "\n")
        return "250 2.0.0 Ok: queued as Q%d" % n


class Server(SMTP):
    async def push(self, status):
        # The first 220 of a connection is its greeting.
        if (opt.greeting and not getattr(self, "greeted", False) and
                str(status).startswith("220 ")):
            self.greeted = True
            status = opt.greeting
        return await super().push(status)

    async def smtp_EHLO(self, arg):
        if opt.refuse_helo:
            return await self.push("554 5.7.1 Access denied")
        return await super().smtp_EHLO(arg)

    async def smtp_HELO(self, arg):
        if opt.refuse_helo:
            return await self.push("554 5.7.1 Access denied")
        return await super().smtp_HELO(arg)

    async def smtp_DATA(self, arg):
        if (opt.drop_mid_data_once and not state["dropped"] and
                self.envelope.rcpt_tos):
            state["dropped"] = True
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            for _ in range(3):
                await self._reader.readuntil(b"\r\n")
            self.transport.close()
            return
        return await super().smtp_DATA(arg)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (opt.auth is not None and
          auth_data.login.decode() == opt.auth[0] and
          auth_data.password.decode() == opt.auth[1])
    return AuthResult(success=ok, handled=False)


def factory():
    kw = {"hostname": "localhost", "enable_SMTPUTF8": True}
    if opt.tls and not opt.no_starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(opt.tls[0], opt.tls[1])
        kw["tls_context"] = ctx
    if opt.auth:
        kw["authenticator"] = authenticator
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(opt.tls and not opt.no_starttls)
    return Server(Handler(), **kw)


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(0))
    srv = await loop.create_server(factory, "127.0.0.1", opt.port,
                                   reuse_address=True)
    port = srv.sockets[0].getsockname()[1]
    if opt.ready:
        with open(opt.ready + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(opt.ready + ".tmp", opt.ready)
    await stop
    srv.close()


asyncio.run(main())
sys.exit(0)
