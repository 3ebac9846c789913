#!/usr/bin/env python3
"""A caller at a terminal, for the exec tests: runs CMD in a session of its own whose
controlling terminal is a pty (as a shell at a terminal would), prints "STATUS:<n>" with its
exit status, then what its own next read of the terminal gets within 2 s ("GOT:<text>" or
"GOT:nothing"). TYPING types into the terminal: "during:TEXT" 1 s after CMD starts,
"after:TEXT" once it has exited, "" nothing ("\\n" and "\\x04" in TEXT are a newline and ^D).
Everything the terminal shows goes to stdout.
Usage: 42-run-exec-caller.py TYPING CMD..."""
import os, pty, select, sys, time

when, _, text = sys.argv[1].partition(":")
text = text.replace("\\n", "\n").replace("\\x04", "\x04").encode()
pid, fd = pty.fork()
if pid == 0:
    st = os.spawnvp(os.P_WAIT, sys.argv[2], sys.argv[2:])
    print("STATUS:%d" % st, flush=True)
    r, _, _ = select.select([0], [], [], 2)
    got = os.read(0, 200).decode(errors="replace").strip() if r else "nothing"
    print("GOT:" + got, flush=True)
    os._exit(0)
out = b""
start = time.monotonic()
typed = not text
while True:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            b = os.read(fd, 1024)
        except OSError:
            break
        if not b:
            break
        out += b
    due = b"STATUS:" in out if when == "after" else time.monotonic() - start > 1
    if not typed and due:
        time.sleep(0.3 if when == "after" else 0)
        os.write(fd, text)
        typed = True
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
