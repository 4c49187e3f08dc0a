"""Helpers shared by the tests: the real `aetui` command in a child process, ended whatever happens.

Every child runs in a process group of its own, so ending it ends what it started too (a sweep's
worker processes); `aetui()` ends its child when it returns or times out, and the `spawn`
fixture (tests/conftest.py) ends the children a test started when the test ends, passed or failed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path


def command(store: Path | None, *args: str) -> list[str]:
    """The argument list of `aetui [--sessions STORE] ARGS...` run by this Python."""
    return [sys.executable, "-m", "aetui", *(["--sessions", str(store)] if store is not None else []), *args]


def quiet_env(env: dict | None = None, columns: int = 240) -> dict:
    """The environment for a child: wide (so console lines do not wrap), TensorFlow quiet, plus `env`."""
    return {**os.environ, "COLUMNS": str(columns), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}


def start(argv: list[str], **kwargs) -> subprocess.Popen:
    """Start `argv` in a process group of its own (end it with `end`)."""
    return subprocess.Popen(argv, start_new_session=True, **kwargs)


def end(child: subprocess.Popen) -> None:
    """Kill the child and everything in its process group, and reap it; a no-op for one already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=30)
    for stream in (child.stdin, child.stdout, child.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def run(argv: list[str], env: dict | None = None, timeout: float = 300, whole_env: dict | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `argv` to its end and return its output (text); the child and its group are killed when
    it returns or outlasts `timeout` (then `subprocess.TimeoutExpired` is raised). The environment
    is `quiet_env(env)`, or `whole_env` where given."""
    child = start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                  env=whole_env if whole_env is not None else quiet_env(env), cwd=cwd)
    try:
        out, err = child.communicate(timeout=timeout)
    finally:
        end(child)
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


def aetui(store: Path | None, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`run` of `aetui [--sessions STORE] ARGS...`."""
    return run(command(store, *args), **kwargs)
