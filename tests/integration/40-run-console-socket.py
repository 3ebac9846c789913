#!/usr/bin/env python3
"""Console socket receiver for the runtime tests: listens on a unix socket, accepts one
connection, receives the pty master (exactly one fd in one SCM_RIGHTS message is required),
writes INPUT to it, copies what the container writes to stdout until EOF/EIO.
Usage: 40-run-console-socket.py SOCKET READYFILE [INPUT]"""
import array, os, socket, sys

path, ready = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(ready, "w").close()
srv.settimeout(20)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_LEN(16 * fds.itemsize))
nfds = 0
master = -1
for level, typ, cdata in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        got = array.array("i")
        got.frombytes(cdata[: len(cdata) - (len(cdata) % got.itemsize)])
        nfds += len(got)
        master = got[0]
if nfds != 1 or len(anc) != 1:
    print(f"expected exactly one fd in one message, got {nfds} fds in {len(anc)} messages", file=sys.stderr)
    sys.exit(2)
print(f"pty-name:{msg.decode(errors='replace')}", flush=True)
if data:
    os.write(master, data)
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
