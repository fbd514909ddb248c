#!/usr/bin/env python3
"""Write a large synthetic loa config for benchmarks: NEVENTS events with
NATT attendees each, drawn from a directory of NPEOPLE people, plus tasks.

usage: gen-plan.py DIR [NEVENTS] [NATT] [NPEOPLE]
"""
import os
import random
import sys

out = sys.argv[1]
nev = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
natt = int(sys.argv[3]) if len(sys.argv) > 3 else 100
npeople = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
rng = random.Random(42)
os.makedirs(os.path.join(out, "plans"), exist_ok=True)

family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"]
middle = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh"]
given = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Mai",
         "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trung", "Yến"]

with open(os.path.join(out, "loa.cfg"), "w", encoding="utf-8") as f:
    f.write('loa = { timezone = "Asia/Ho_Chi_Minh"; store = "loa.db";\n'
            '  plans = [ "plans/big.cfg" ];\n'
            '  quiet_hours = { start = "21:00"; end = "06:30"; };\n'
            '  holidays = [ "2026-01-01", "2026-02-16", "2026-02-17", '
            '"2026-02-18", "2026-02-19", "2026-02-20", "2026-04-30", '
            '"2026-05-01", "2026-09-02" ]; };\n')

with open(os.path.join(out, "plans", "big.cfg"), "w", encoding="utf-8") as f:
    f.write('plan = { id = "BENCH/KH"; issued = "2026-01-05"; '
            'title = "Kế hoạch thử tải"; issuer = "UBND xã"; };\n')
    f.write("people = (\n")
    for i in range(npeople):
        name = "%s %s %s" % (rng.choice(family), rng.choice(middle),
                             rng.choice(given))
        sep = "," if i < npeople - 1 else ""
        f.write('  { id = "p%d"; name = "%s"; email = "p%d@xa.example"; '
                'phone = "09%08d"; }%s\n' % (i, name, i, i, sep))
    f.write(");\n")
    f.write('agencies = ( { id = "vp"; name = "Văn phòng"; head = "p0"; '
            'members = [ "p1", "p2" ]; email = "vp@xa.example"; } );\n')
    f.write("events = (\n")
    for e in range(nev):
        day = 6 + e % 300
        att = rng.sample(range(npeople), natt)
        sep = "," if e < nev - 1 else ""
        f.write('  { id = "ev%d"; title = "Hội nghị số %d"; '
                'start = "plan.issued + %dd at 08:00"; duration = "2h"; '
                'location = "Hội trường UBND xã"; organizer = "vp";\n'
                '    attendees = [ %s ];\n'
                '    invite = "start - 5bd at 08:00"; '
                'reminders = [ "start - 1d at 16:00", "start - 2h" ]; }%s\n'
                % (e, e, day, ", ".join('"p%d"' % a for a in att), sep))
    f.write(");\n")
    f.write("tasks = (\n")
    for t in range(nev):
        sep = "," if t < nev - 1 else ""
        f.write('  { id = "t%d"; title = "Chuẩn bị hội nghị số %d"; '
                'owner = [ "vp" ]; due = "ev%d.start - 2bd at 17:00"; '
                'overdue = "due + 1bd at 08:00"; }%s\n' % (t, t, t, sep))
    f.write(");\n")
