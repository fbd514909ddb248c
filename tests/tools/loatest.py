"""loatest: what the integration tests read, in one place.

The prologue (prologue.sh) puts this folder on PYTHONPATH, so a test's
Python says `from loatest import jobs, eml` instead of retyping readers.
Run by Debian's Python (/usr/bin/python3, $PY in the tests).
"""

import email
import json
import sys
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


__all__ = ["load", "jobs", "by_id", "jsonl", "eml", "eml_bytes",
           "ics_parts", "unfold", "prop", "arg", "email"]
