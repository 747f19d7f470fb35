#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and answers its prompts, like a person at a keyboard.

usage: pty-drive.py STEPS_JSON [--timeout SECONDS] -- COMMAND [ARG...]
       pty-drive.py --interactive -- COMMAND [ARG...]
STEPS_JSON is a list of [text_to_wait_for, keys_to_send]; keys may contain \\r, \\x1b[B (down) etc.
Wait for the whole prompt text, not a word that a spinner or a log line may also print.
After the text appears, the keys are sent once the terminal has been quiet for QUIET_S (the
prompt has finished drawing and switched to raw mode), however loaded the machine is.
Prints the whole transcript on stdout and exits with the command's exit status (124 on timeout,
125 when a prompt it waited for never appeared).
--interactive relays instead: bytes on stdin are typed into the terminal, the terminal's output is
copied to stdout as it comes (the caller decides what to wait for); closing stdin hangs up the
command (SIGHUP, then SIGKILL) and the driver exits with its status.
"""
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

TIMEOUT_S = 20
QUIET_S = 0.15


def interactive(command: list) -> int:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = os.environ.get("PTY_TERM", "xterm-256color")
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stdin = sys.stdin.buffer.fileno()
    out = sys.stdout.buffer
    sources = [fd, stdin]
    status = None
    while status is None:
        ready, _, _ = select.select(sources, [], [], 0.1)
        if fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                out.write(chunk)
                out.flush()
            else:
                sources.remove(fd)
        if stdin in ready:
            keys = os.read(stdin, 65536)
            if keys:
                os.write(fd, keys)
            else:  # the caller is done: hang up
                sources.remove(stdin)
                try:
                    os.kill(pid, signal.SIGHUP)
                    time.sleep(0.5)
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        finished, code = os.waitpid(pid, os.WNOHANG)
        if finished:
            status = code
    while True:  # drain what is left
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out.write(chunk)
    out.flush()
    return os.waitstatus_to_exitcode(status)


def main() -> int:
    separator = sys.argv.index("--")
    if sys.argv[1] == "--interactive":
        return interactive(sys.argv[separator + 1:])
    steps = json.loads(sys.argv[1])
    options = sys.argv[2:separator]
    timeout_s = float(options[options.index("--timeout") + 1]) if "--timeout" in options else TIMEOUT_S
    command = sys.argv[separator + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(command[0], command)
    # A real terminal size: prompt libraries wrap at the width, and 0 columns wraps every character.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    transcript = b""
    seen = 0  # transcript offset after the last matched prompt
    deadline = time.time() + timeout_s
    status = None
    matched_at = None  # transcript length when the current step's text appeared
    last_output = time.time()
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal (it exited)
                chunk = b""
            if not chunk:
                _, status = os.waitpid(pid, 0)
                break
            transcript += chunk
            last_output = time.time()
        if steps:
            wanted, keys = steps[0]
            if matched_at is None:
                position = transcript.find(wanted.encode(), seen)
                if position >= 0:
                    matched_at = position + len(wanted)
            # Type only once the prompt has finished drawing (no output for QUIET_S).
            if matched_at is not None and time.time() - last_output >= QUIET_S:
                os.write(fd, keys.encode())
                seen = matched_at
                matched_at = None
                steps.pop(0)
        finished, code = os.waitpid(pid, os.WNOHANG)
        if finished:
            status = code
            # drain what is left
            while True:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if not ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                transcript += chunk
            break
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return 124
    if steps:
        # A prompt the test expected never appeared: that is a failure, whatever the exit code.
        sys.stdout.write("\npty-drive: never saw: " + ", ".join(repr(step[0]) for step in steps) + "\n")
        return 125
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
