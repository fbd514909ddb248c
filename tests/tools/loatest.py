"""loatest: what the integration tests read, in one place.

The prologue (prologue.sh) puts this folder on PYTHONPATH, so a test's
Python says `from loatest import jobs, eml` instead of retyping readers.
Run by Debian's Python (/usr/bin/python3, $PY in the tests).
"""

import email
import json
import os
import signal
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


def _main(argv):
    """python3 -m loatest kill-after PID FILE BASE MORE LIMIT [SIGNAL]:
    kill_after() from a shell; its status is the function's."""
    if len(argv) in (7, 8) and argv[1] == "kill-after":
        sig = getattr(signal, "SIG" + argv[7]) if len(argv) == 8 \
            else signal.SIGKILL
        return kill_after(int(argv[2]), argv[3], int(argv[4]), int(argv[5]),
                          float(argv[6]), sig)
    print("usage: loatest kill-after PID FILE BASE MORE LIMIT [SIGNAL]",
          file=sys.stderr)
    return 64


__all__ = ["load", "jobs", "by_id", "jsonl", "eml", "eml_bytes",
           "ics_parts", "unfold", "prop", "arg", "email", "lines",
           "kill_after", "alive"]


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
