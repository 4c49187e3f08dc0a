"""Run a long command (pip installing into .venv) and say where it is: a line per step of its output
with the time since the start, instead of minutes with nothing on screen.

    python tools/steps.py WHAT COMMAND [ARG ...]

`make run` and `make test` install through it. A step is a line of pip's that starts one (collecting a
package, installing them, building the editable install); the rest is kept back and printed only
where the command fails (its last 40 lines). The exit status is the command's. Standard library
only: it runs before anything is installed.
"""

from __future__ import annotations

import subprocess
import sys
import time

STEPS = ("Collecting ", "Installing collected packages", "Building ", "Successfully installed", "Obtaining ", "ERROR")


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def step(line: str) -> str | None:
    """The line shortened to what the step is, or None for a line that starts no step."""
    if not line.startswith(STEPS):
        return None
    if line.startswith("Installing collected packages"):
        count = len(line.split(":", 1)[1].split(","))
        return f"installing {count} package(s) (the longest step: TensorFlow unpacks here)"
    if line.startswith("Successfully installed"):
        return f"installed {len(line.split()) - 2} package(s)"
    return line.split(" (", 1)[0][:100]


def main(argv: list[str]) -> int:
    what, command = argv[0], argv[1:]
    started = time.monotonic()
    kept: list[str] = []
    last = None
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert child.stdout is not None
    for raw in child.stdout:
        line = raw.rstrip()
        kept = (kept + [line])[-40:]
        shown = step(line.strip())
        if shown and shown != last:
            last = shown
            print(f"{what}: {clock(time.monotonic() - started):>5}  {shown}", flush=True)
    status = child.wait()
    if status != 0:
        print("\n".join(kept), file=sys.stderr)
        print(f"{what}: failed after {clock(time.monotonic() - started)} (exit status {status})", file=sys.stderr)
    else:
        print(f"{what}: done in {clock(time.monotonic() - started)}", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
