#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal (its stdin, stdout and stderr), answer its prompts,
and print everything the terminal showed: what the command wrote and what the terminal
echoed of the answers. A password typed where echo is off never appears in that transcript.

  ptyrun.py [--answer PROMPT=TEXT]... [--timeout S] [--cols N] -- COMMAND [ARGS...]

Each PROMPT (in order) is waited for in the output, then TEXT and a newline are typed. The
exit status is the command's (124 on timeout, with the transcript so far).
"""

import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--cols", type=int, default=200)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    answers = [x.split("=", 1) for x in a.answer]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    # a wide terminal: progress lines are cut to its width
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, a.cols, 0, 0))
    out = b""
    seen = 0  # where to look for the next prompt
    deadline = time.time() + a.timeout
    status = None
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace"))
            return 124
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out += data
        if answers:
            prompt, text = answers[0]
            i = out.find(prompt.encode(), seen)
            if i >= 0:
                seen = i + len(prompt)
                time.sleep(0.2)  # the command turns echo off after its prompt
                os.write(fd, text.encode() + b"\n")
                answers.pop(0)
        if not r:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p:
                status = st
                # drain what is left
                while select.select([fd], [], [], 0.1)[0]:
                    try:
                        data = os.read(fd, 4096)
                    except OSError:
                        break
                    if not data:
                        break
                    out += data
                break
    if status is None:
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


if __name__ == "__main__":
    sys.exit(main())
