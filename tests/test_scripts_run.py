"""The README's run command, as a person uses it: `scripts/run` in a terminal, then Ctrl+C.

In the embedded default (SQLite and the filesystem broker in a fresh data folder) it sets
everything up, serves the app, and its beat scan fills the RMs' notification centres without
anyone running a command; Ctrl+C stops the web server, the worker and beat within 10 seconds.
"""

import os
import pty
import select
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.conf import settings

pytestmark = pytest.mark.celery_worker

ROOT = Path(settings.BASE_DIR)
START_TIMEOUT = 240  # migrate + the demo book on a fresh SQLite file, on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read(fd: int, output: bytearray, seconds: float) -> None:
    ready, _, _ = select.select([fd], [], [], seconds)
    if ready:
        try:
            output.extend(os.read(fd, 65536))
        except OSError:  # the terminal closed with the last process
            pass


def _descendants(root: int) -> set[int]:
    """Every process started from ``root``, however deep (Celery's run in sessions of their own)."""
    parents = {}
    for line in subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True).stdout.splitlines()[1:]:
        child, parent = map(int, line.split())
        parents.setdefault(parent, set()).add(child)
    found, todo = set(), [root]
    while todo:
        for child in parents.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.add(pid)
    return alive


def test_scripts_run_serves_the_app_reminds_by_itself_and_stops_within_10_seconds_of_ctrl_c(tmp_path):
    var_dir, port = tmp_path / "var", _free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(CRM_VAR_DIR=str(var_dir), HOST_PORT=f"127.0.0.1:{port}")
    pid, fd = pty.fork()
    if pid == 0:  # the child: scripts/run in the foreground of its own terminal, as a person starts it
        os.chdir(ROOT)
        os.execvpe("scripts/run", ["scripts/run"], env)
    output = bytearray()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while b"Quit the server with CONTROL-C" not in output:
            assert time.monotonic() < deadline, f"scripts/run did not start:\n{output.decode(errors='replace')[-3000:]}"
            _read(fd, output, 1)
        assert urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10).status == 200

        # Beat scans at start: the demo book's due reviews become reminders with no command run.
        database = var_dir / "db.sqlite3"
        reminders = 0
        while not reminders:
            assert time.monotonic() < deadline, f"no reminder appeared:\n{output.decode(errors='replace')[-3000:]}"
            _read(fd, output, 1)
            with sqlite3.connect(database) as connection:
                reminders = connection.execute("SELECT COUNT(*) FROM communications_notification").fetchone()[0]

        started = _descendants(pid)  # web server, worker, its pool and beat
        assert len(started) >= 4, started
        os.write(fd, b"\x03")  # Ctrl+C in the terminal
        stopped_at = time.monotonic() + 10
        while not os.waitpid(pid, os.WNOHANG)[0]:
            assert time.monotonic() < stopped_at, f"still running 10 s after Ctrl+C:\n{output.decode(errors='replace')[-3000:]}"
            _read(fd, output, 0.2)
        pid = 0
        time.sleep(0.5)
        assert _alive(started) == set(), "left running after Ctrl+C"
    finally:
        if pid:  # a failed run: stop everything it started
            for leftover in _alive(_descendants(pid) | {pid}):
                os.kill(leftover, 9)
            os.waitpid(pid, 0)
        os.close(fd)
