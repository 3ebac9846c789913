#!/usr/bin/python3
"""The host's end of sd_notify for the runtime tests (a stand-in for systemd's socket):
notify-listen.py SOCKET LOG binds a datagram socket at SOCKET (@NAME: an abstract one) and
appends one JSON line per datagram to LOG: {"text": ..., "fds": N, "pid": SENDER}. Fds that
come with a message are closed at once (a BARRIER=1 pipe then sees EOF, as from systemd).
LOG.ready appears once the socket is bound."""
import json
import os
import socket
import struct
import sys

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + path[1:] if path.startswith("@") else path)
open(log + ".ready", "w").close()
fdsize = socket.CMSG_SPACE(struct.calcsize("i") * 253)
credsize = socket.CMSG_SPACE(struct.calcsize("3i"))
with open(log, "a", buffering=1) as out:
    while True:
        data, anc, flags, _ = s.recvmsg(1 << 20, fdsize + credsize)
        fds, pid = [], 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack("%di" % (len(payload) // 4), payload[: len(payload) // 4 * 4]))
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:12])[0]
        for fd in fds:
            os.close(fd)
        out.write(json.dumps({"text": data.decode("utf-8", "replace"), "fds": len(fds), "pid": pid}) + "\n")
