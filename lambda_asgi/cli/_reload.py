"""``serve --reload``: restart the server process whenever a ``.py`` file changes.

Standard library only: the parent polls modification times under the current directory and
runs the real server as a child process (``python -m lambda_asgi.cli serve APP --fd N``). The
parent owns the listening socket and hands it to each child, so the port never changes and
requests made during a restart wait in the socket's backlog instead of being refused.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from ._app import CliError

POLL_SECONDS = 0.5
STOP_SECONDS = 5.0
"""How long a child may take to stop (its lifespan shutdown) before it is killed."""
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})

Snapshot = dict[str, tuple[int, int]]


class Reloader:
    """Serve with ``python -m lambda_asgi.cli <arguments>`` in a child, restarted on changes."""

    def __init__(self, arguments: list[str], host: str, port: int) -> None:
        self.arguments = arguments
        self.root = Path.cwd()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
        try:
            self.sock.bind((host, port))
            self.sock.listen()
        except OSError as exc:
            self.sock.close()
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set, restarting the child after every change."""
        print(f"lambda-asgi: reloading when .py files under {self.root} change", file=sys.stderr)
        snapshot = scan(self.root)
        child = self._start()
        reported = False
        try:
            while not stop.wait(POLL_SECONDS):
                current = scan(self.root)
                if current != snapshot:
                    changed = sorted(set(current.items()) ^ set(snapshot.items()))[0][0]
                    print(f"lambda-asgi: {changed} changed, restarting", file=sys.stderr)
                    snapshot = current
                    stop_child(child)
                    child = self._start()
                    reported = False
                elif not reported and child.poll() is not None:
                    # Typically a file saved mid-edit that does not import: wait for the fix.
                    print(
                        f"lambda-asgi: the server exited with status {child.returncode}; "
                        "it restarts when a file changes",
                        file=sys.stderr,
                    )
                    reported = True
        finally:
            stop_child(child)
            self.sock.close()

    def _start(self) -> subprocess.Popen[bytes]:
        fd = self.sock.fileno()
        command = [sys.executable, "-m", "lambda_asgi.cli", *self.arguments, "--fd", str(fd)]
        return subprocess.Popen(command, pass_fds=(fd,), cwd=self.root)


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, time for the lifespan shutdown, then SIGKILL."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def scan(root: Path) -> Snapshot:
    """Modification time and size of every ``.py`` file under ``root``, skipping hidden
    directories (``.venv``, ``.git``) and caches."""
    found: Snapshot = {}
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith(".") and name not in _SKIPPED_DIRS
        ]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                try:
                    status = os.stat(path)
                except OSError:  # removed between listing and stat: the next scan sees it
                    continue
                found[os.path.relpath(path, root)] = (status.st_mtime_ns, status.st_size)
    return found
