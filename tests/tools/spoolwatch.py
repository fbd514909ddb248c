#!/usr/bin/python3
"""spoolwatch.py: a playout watcher for spool.sh.

    spoolwatch.py DIR STOPFILE REPORT [READYFILE]

Polls DIR every millisecond until STOPFILE exists (then once more, so the
last state is seen), as playout software
watching a spool would, and checks what it sees each time: every *.json
parses and its set is there (ID.txt unless a CAP Cancel, the WAV its
"audio" names, ID.cap.xml when it says it has a CAP alert, or for an
emergency); every *.m3u is a whole extended M3U (#EXTM3U, then
#EXTINF:SECONDS,TITLE and a file name per entry, a newline at the end)
whose files are there. Writes REPORT (JSON): polls, files seen, problems.
READYFILE, when given, is made after the first poll: the watcher watches.
"""
import json
import os
import re
import sys
import time

d, stop, report = sys.argv[1:4]
ready = sys.argv[4] if len(sys.argv) > 4 else None
polls, seen, bad = 0, set(), []
extinf = re.compile(r"#EXTINF:(\d+),([^\r\n]*)")


def problem(msg):
    if len(bad) < 50:
        bad.append(msg)


def check_json(name, names):
    try:
        with open(os.path.join(d, name), "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return  # gone between the listing and the read (simulate empties)
    try:
        r = json.loads(raw)
    except ValueError as e:
        problem("%s does not parse (%d bytes): %s" % (name, len(raw), e))
        return
    i = name[:-5]
    cap = r.get("cap")
    cancel = isinstance(cap, dict) and cap.get("msg_type") == "Cancel"
    need = [] if cancel else [i + ".txt"]
    if r.get("audio"):
        need.append(r["audio"])
    if cap is not None or r.get("priority") == "emergency":
        need.append(i + ".cap.xml")
    for n in need:
        if n not in names and not os.path.exists(os.path.join(d, n)):
            problem("%s without %s" % (name, n))


def check_m3u(name):
    try:
        with open(os.path.join(d, name), encoding="utf-8") as f:
            t = f.read()
    except FileNotFoundError:
        return
    lines = t.split("\n")
    if not t.endswith("\n") or lines[0] != "#EXTM3U" or len(lines) % 2 != 0:
        problem("%s is not a whole extended M3U: %r" % (name, t[:200]))
        return
    body = lines[1:-1]
    if not body:
        problem("%s lists nothing" % name)
    for k in range(0, len(body), 2):
        if not extinf.fullmatch(body[k]):
            problem("%s: bad #EXTINF line %r" % (name, body[k]))
        if not os.path.exists(os.path.join(d, body[k + 1])):
            problem("%s lists %s, which is not there" % (name, body[k + 1]))


while True:
    last = os.path.exists(stop)
    polls += 1
    try:
        names = set(os.listdir(d))
    except FileNotFoundError:
        names = set()
    for n in sorted(names):
        if n.endswith(".json"):
            seen.add(n)
            check_json(n, names)
        elif n.endswith(".m3u"):
            seen.add(n)
            check_m3u(n)
    if ready is not None and polls == 1:
        open(ready, "w").close()
    if last:
        break
    time.sleep(0.001)

json.dump({"polls": polls, "seen": sorted(seen), "problems": bad},
          open(report, "w"), ensure_ascii=False)
