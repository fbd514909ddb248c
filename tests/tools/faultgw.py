#!/usr/bin/python3
"""faultgw.py: an HTTP SMS gateway for loa's tests that injects faults by rule.

    faultgw.py PORTFILE LOG [RULES.json]

Listens on 127.0.0.1 on a free port (written to PORTFILE once listening),
HTTP/1.1 with keep-alive, one thread a connection. Every request is logged
to LOG as one JSON line: t (time.time() on arrival), method, path, query,
headers, body, id (Idempotency-Key, else the body's or query's id,
RequestId, or the id in a dlr-url), to (the number), attempt (how many
times this id came, this one included), status and answer (the status and
body answered, or null) and fault.

RULES may also hold "tls": {"cert": PEM, "key": PEM}: HTTPS, not HTTP.

RULES is {"default": ANSWER, "rules": [RULE, ...]}; the first rule that
matches a request decides, else the default (200, {"status": "ok"}).
A RULE matches on any of
    path        the request's path starts with it
    to_suffix   the number ends with it
    permille    [lo, hi]: sha1(id) mod 1000 falls in lo <= x < hi
    attempt     this id's attempt number is this one
    nth         [lo, hi]: the server's count of requests to this rule's
                path (all paths without one), this one included, is in
                lo <= n < hi (with concurrency = 1, the order they came)
and says what to do:
    status, body, type, headers   the answer (as ANSWER)
    body_hex           the body as these bytes (hex): any bytes at all,
                       not UTF-8 (a Latin-1 text, gzip)
    echo: true         the body is the request echoed: "BODY | METHOD
                       PATH?QUERY" as it came (a gateway that quotes what
                       it was sent in its error)
    echo_headers: true the body is the request's headers, "Name: value"
                       lines (one that quotes an Authorization header)
    echo_query: [NAME, ...]   the body is these query parameters as they
                       came in the URL, percent-encoded, "NAME=VALUE&..."
    link: true         the body (as the rules above made it) as a link,
                       "see http://help.example/?q=" and the body
                       percent-encoded again
    fault: "timeout"   never answer within loa's timeout (sleep `delay`,
                       default 5 s, then close without a word)
    fault: "reset"     close the connection with a TCP RST
    fault: "slow"      wait `delay` seconds, then answer by the next rules
    fault: "hold"      wait until the file `until` exists (60 s at most),
                       then answer by the next rules
"""
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logpath = sys.argv[1], sys.argv[2]
rules = {"default": {"status": 200, "body": '{"status": "ok"}',
                     "type": "application/json"}, "rules": []}
if len(sys.argv) > 3:
    with open(sys.argv[3], encoding="utf-8") as f:
        rules.update(json.load(f))
lock = threading.Lock()
seen = {}
count = {}
log = open(logpath, "a", encoding="utf-8")


def ident(h, q, body):
    """The idempotency key and the number of a request."""
    j = None
    try:
        j = json.loads(body) if body else None
    except ValueError:
        pass
    form = {}
    if h.get("Content-Type", "").startswith("application/x-www-form"):
        form = urllib.parse.parse_qs(body)
    mid = h.get("Idempotency-Key")
    to = None
    if isinstance(j, dict):
        mid = mid or j.get("id") or j.get("RequestId")
        to = j.get("to") or j.get("Phone")
        if isinstance(to, list):
            to = to[0] if to else None
    if mid is None and "dlr-url" in q:
        d = urllib.parse.parse_qs(urllib.parse.urlsplit(q["dlr-url"][0]).query)
        mid = d.get("id", [None])[0]
    to = to or (q.get("to") or form.get("To") or [None])[0]
    return mid, to


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_one(self):
        t = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        mid, to = ident(self.headers, q, body)
        with lock:
            seen[mid] = seen.get(mid, 0) + 1
            attempt = seen[mid]
            nth = {}
            for r in rules["rules"]:
                p = r.get("path", "")
                if "nth" in r and u.path.startswith(p) and p not in nth:
                    count[p] = count.get(p, 0) + 1
                    nth[p] = count[p]
        pm = int(hashlib.sha1(str(mid).encode()).hexdigest(), 16) % 1000
        ans = dict(rules["default"])
        fault = None
        for r in rules["rules"]:
            if "path" in r and not u.path.startswith(r["path"]):
                continue
            if "to_suffix" in r and not str(to).endswith(r["to_suffix"]):
                continue
            if "permille" in r and not r["permille"][0] <= pm < r["permille"][1]:
                continue
            if "attempt" in r and attempt != r["attempt"]:
                continue
            if "nth" in r and not \
                    r["nth"][0] <= nth.get(r.get("path", ""), 0) < r["nth"][1]:
                continue
            if r.get("fault") == "slow":
                time.sleep(r.get("delay", 0.3))
                fault = "slow"
                continue
            if r.get("fault") == "hold":
                end = time.time() + 60
                while not os.path.exists(r["until"]) and time.time() < end:
                    time.sleep(0.02)
                fault = "hold"
                continue
            if r.get("fault") in ("timeout", "reset"):
                fault = r["fault"]
            else:
                ans.update({k: r[k] for k in ("status", "body", "type", "headers",
                                              "body_hex", "echo", "echo_query",
                                              "echo_headers", "link")
                            if k in r})
            break
        rec = {"t": t, "method": self.command, "path": u.path, "query": q,
               "headers": dict(self.headers), "body": body, "id": mid,
               "to": to, "attempt": attempt, "fault": fault,
               "status": None if fault in ("timeout", "reset") else ans["status"],
               "answer": None if fault in ("timeout", "reset") else ans.get("body")}
        with lock:
            log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()
        if fault == "timeout":
            time.sleep(rules.get("timeout_delay", 5))
            self.close_connection = True
            return
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        data = ans.get("body", "").encode("utf-8")
        if "body_hex" in ans:
            data = bytes.fromhex(ans["body_hex"])
        if ans.get("echo"):
            data = ("%s | %s %s" % (body, self.command, self.path)).encode(
                "utf-8", "replace")
        if ans.get("echo_headers"):
            data = "\n".join("%s: %s" % kv for kv in self.headers.items()).encode()
        if "echo_query" in ans:
            data = "&".join(p for p in u.query.split("&")
                            if p.split("=")[0] in ans["echo_query"]).encode()
        if ans.get("link"):
            data = ("see http://help.example/?q=" +
                    urllib.parse.quote(data, safe="")).encode()
        self.send_response(ans["status"])
        self.send_header("Content-Type", ans.get("type", "text/plain"))
        self.send_header("Content-Length", str(len(data)))
        for k, v in ans.get("headers", {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = handle_one


class S(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


srv = S(("127.0.0.1", 0), H)
if "tls" in rules:
    import ssl  # noqa: E402
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(rules["tls"]["cert"], rules["tls"]["key"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
