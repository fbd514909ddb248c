"""loatest: what the integration tests read, in one place.

The prologue (prologue.sh) puts this folder on PYTHONPATH, so a test's
Python says `from loatest import jobs, eml` instead of retyping readers.
Run by Debian's Python (/usr/bin/python3, $PY in the tests).
"""

import email
import json
import os
import signal
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser


def load(path):
    """A JSON document (loa outbox --json, a record of the spool, ...)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def jobs(path, channel=None):
    """The jobs of `loa outbox --json` (or GET /outbox) saved at path,
    those of one channel when channel is given."""
    js = load(path)
    if channel is not None:
        js = [j for j in js if j.get("channel") == channel]
    return js


def by_id(items, key="id"):
    """A dict of items (jobs, records) by their key."""
    return {x[key]: x for x in items}


def jsonl(path):
    """The objects of a JSON-lines file (sms.jsonl, a fake gateway's log)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def eml(path):
    """One message (.eml, or what a test SMTP server kept), parsed with the
    modern policy: headers decoded, get_body() and iter_attachments()."""
    with open(path, "rb") as f:
        return BytesParser(policy=policy.default).parse(f)


def eml_bytes(data):
    """A message from bytes, as eml() reads a file."""
    return BytesParser(policy=policy.default).parsebytes(data)


def ics_parts(msg):
    """The text/calendar parts of a parsed message, decoded to str."""
    return [p.get_content() for p in msg.walk()
            if p.get_content_type() == "text/calendar"]


def unfold(ics):
    """iCalendar content lines with their folds undone (RFC 5545 3.1)."""
    return ics.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def prop(ics, name):
    """The values of every content line NAME (with or without parameters)."""
    out = []
    for line in unfold(ics):
        head, _, value = line.partition(":")
        if head.split(";")[0].upper() == name.upper():
            out.append(value)
    return out


def eml_compat(data):
    """A message from bytes under the compat32 policy: raw header values,
    for named() (RFC 2047 as written, where policy.default keeps the
    space between two encoded words of a display name)."""
    return BytesParser(policy=policy.compat32).parsebytes(data)


def named(old, header):
    """[(display name decoded, address)] of HEADER of a compat32 message."""
    from email.header import decode_header, make_header
    from email.utils import getaddresses
    return [(str(make_header(decode_header(n))), a)
            for n, a in getaddresses([str(v) for v in old.get_all(header) or []])]


def defects(msg):
    """Every parser defect of a message and its parts."""
    return [x for p in msg.walk() for x in p.defects]


def mime_tree(p):
    """A part's MIME tree as text: multipart/mixed(text/plain,...)."""
    t = p.get_content_type()
    if p.is_multipart():
        t += "(" + ",".join(mime_tree(c) for c in p.iter_parts()) + ")"
    return t


def parts_by_type(msg):
    """The parts of a message by content type, in order."""
    out = {}
    for p in msg.walk():
        out.setdefault(p.get_content_type(), []).append(p)
    return out


def html_read(html):
    """An HTML text read: .tags (start tags in order), .attrs (their
    attribute names), .text (the text, joined)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.attrs, self.texts = [], [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.attrs += [a for a, _ in attrs]

        def handle_data(self, data):
            self.texts.append(data)

    r = Reader()
    r.feed(html)
    r.close()
    r.text = "".join(r.texts)
    return r


class Checks:
    """The verdicts of one heredoc: check(cond, what) prints FAIL what
    (and ok what too when say_ok; only the first `most` failures when
    most is given) and returns cond; done() exits 1 when any failed."""

    def __init__(self, say_ok=False, most=None):
        self.fails = 0
        self.say_ok = say_ok
        self.most = most

    def __call__(self, cond, what):
        if not cond:
            self.fails += 1
            if self.most is None or self.fails <= self.most:
                print("FAIL " + what)
        elif self.say_ok:
            print("ok " + what)
        return cond

    def done(self):
        sys.exit(1 if self.fails else 0)


def arg(i):
    """sys.argv[i], for the heredoc scripts."""
    return sys.argv[i]


def lines(path):
    """The number of whole lines in path (0 when it is not there yet)."""
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def kill_after(pid, path, base, more, limit, sig=signal.SIGKILL):
    """Wait until path holds at least base + more lines (a state the
    process under test makes: deliveries recorded, requests logged), then
    send sig to pid at once, reading the file every millisecond or so.
    limit (seconds) bounds a machine far too slow; it is not the expected
    time. Prints the line count at the signal; returns 0 when the signal
    reached a live process after the state, 1 when the state never came
    (the process died, or limit passed), 2 when the process was gone."""
    end = time.monotonic() + limit
    want = base + more
    n = 0
    f = None
    while True:
        if f is None:
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                pass
        if f is not None:
            n += f.read().count(b"\n")
        if n >= want:
            break
        if time.monotonic() > end or not alive(pid):
            print(n)
            return 1
        time.sleep(0.001)
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        print(n)
        return 2
    print(n)
    return 0


def alive(pid):
    """Whether pid is a process not yet dead (a zombie counts as dead)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def run_kill_after(path, base, more, limit, errpath, cmd):
    """Start cmd (stdout to /dev/null, stderr added to errpath) and
    kill_after() it: this process is up before cmd starts, so the watch
    begins with cmd's first line, whatever Python's start-up costs on a
    busy machine. Waits for cmd; returns kill_after()'s status."""
    with open(errpath, "ab") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    try:
        rc = kill_after(p.pid, path, base, more, limit)
    finally:
        try:
            p.kill()
        except ProcessLookupError:
            pass
        p.wait()
    return rc


def _main(argv):
    """python3 -m loatest kill-after PID FILE BASE MORE LIMIT [SIGNAL]:
    kill_after() from a shell; its status is the function's.
    python3 -m loatest run-kill-after FILE BASE MORE LIMIT ERRFILE CMD...:
    run_kill_after() from a shell."""
    if len(argv) in (7, 8) and argv[1] == "kill-after":
        sig = getattr(signal, "SIG" + argv[7]) if len(argv) == 8 \
            else signal.SIGKILL
        return kill_after(int(argv[2]), argv[3], int(argv[4]), int(argv[5]),
                          float(argv[6]), sig)
    if len(argv) >= 8 and argv[1] == "run-kill-after":
        return run_kill_after(argv[2], int(argv[3]), int(argv[4]),
                              float(argv[5]), argv[6], argv[7:])
    print("usage: loatest kill-after PID FILE BASE MORE LIMIT [SIGNAL]\n"
          "       loatest run-kill-after FILE BASE MORE LIMIT ERRFILE CMD...",
          file=sys.stderr)
    return 64


__all__ = ["load", "jobs", "by_id", "jsonl", "eml", "eml_bytes",
           "ics_parts", "unfold", "prop", "arg", "email", "lines",
           "kill_after", "alive", "eml_compat", "named", "defects",
           "mime_tree", "parts_by_type", "html_read", "Checks"]


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
