#!/usr/bin/python3
"""controller.py: a loudspeaker controller for controller.sh.

    controller.py PORTFILE LOG BUSY

Accepts multipart/form-data POSTs on loopback (port written to PORTFILE).
The first BUSY POSTs get 503 (the first of them with Retry-After: 1), then
200; a POST to /bad gets 400 "bad item: unknown zone". Every request is
one JSON line in LOG: path, status, headers, and each part of the body as
Python's email parser (policy default) reads it: name, filename, type and
its bytes (JSON and XML as text, others as their length and first bytes).
"""
import base64
import json
import sys
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, busy = sys.argv[1], sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
seen = {"n": 0}


def parts_of(ctype, body):
    msg = BytesParser(policy=policy.default).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        return None
    out = []
    for p in msg.iter_parts():
        data = p.get_payload(decode=True) or b""
        out.append({
            "name": p.get_param("name", header="content-disposition"),
            "filename": p.get_filename(),
            "type": p.get_content_type(),
            "text": data.decode("utf-8") if p.get_content_maintype()
            in ("application", "text") else None,
            "b64": base64.b64encode(data).decode(),
        })
    return out


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with lock:
            seen["n"] += 1
            k = seen["n"]
        hdr = {}
        if self.path == "/bad":
            st, text = 400, b"bad item: unknown zone"
        elif k <= busy:
            st, text = 503, b"controller busy"
            if k == 1:
                hdr["Retry-After"] = "1"
        else:
            st, text = 200, b'{"queued": true}'
        rec = {"path": self.path, "status": st,
               "headers": {a: b for a, b in self.headers.items()},
               "parts": parts_of(self.headers.get("Content-Type", ""), body)}
        with lock:
            with open(logfile, "a") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.send_response(st)
        for a, b in hdr.items():
            self.send_header(a, b)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
