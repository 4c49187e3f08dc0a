"""Where the benchmarks put what they measured, and the one explicit step that puts it into the README.

`make bench` and `make reproduce` write only into `bench/out/` (git-ignored; `AETUI_BENCH_OUT`
elsewhere): each figure as `NAME.json`, and each README section as `NAME.md`, the text that belongs
between the README's `<!-- NAME:start -->` and `<!-- NAME:end -->`. A checkout stays as it was.
`make readme-figures` runs this file: it copies the `.json` files into `bench/results/` and puts each
section into the README, and says what it changed.

    python bench/figures.py [--from DIR] [--root DIR]

Standard library only: it runs before any install.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("AETUI_BENCH_OUT", ROOT / "bench" / "out"))
RESULTS = "bench/results"
"""The tracked results, relative to the checkout."""


def write(name: str, data: dict, out: Path = OUT) -> Path:
    """Write the figure `name` (`out/NAME.json`), whole or not at all."""
    return _whole(out / f"{name}.json", json.dumps(data, indent=1))


def section(name: str, text: str, out: Path = OUT) -> Path:
    """Write the README section `name` (`out/NAME.md`): the text between its start and end markers."""
    return _whole(out / f"{name}.md", text.rstrip("\n") + "\n")


def recorded(name: str, out: Path = OUT, root: Path = ROOT) -> dict | None:
    """The figure `name` as last measured: from `out`, else as the checkout records it; None if neither."""
    for path in (out / f"{name}.json", root / RESULTS / f"{name}.json"):
        if path.exists():
            return json.loads(path.read_text())
    return None


def publish(out: Path = OUT, root: Path = ROOT) -> list[str]:
    """Copy `out`'s figures into `root`'s results and its sections into `root`'s README; what changed."""
    changed = []
    results = root / RESULTS
    for path in sorted(out.glob("*.json")):
        target = results / path.name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            results.mkdir(parents=True, exist_ok=True)
            _whole(target, path.read_text())
            changed.append(f"{RESULTS}/{path.name}")
    readme = root / "README.md"
    text = readme.read_text()
    for path in sorted(out.glob("*.md")):
        name = path.stem
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in text or end not in text:
            raise SystemExit(f"readme-figures: the README has no {start} ... {end} for {path}")
        head, rest = text.split(start, 1)
        updated = head + start + "\n" + path.read_text() + end + rest.split(end, 1)[1]
        if updated != text:
            text = updated
            changed.append(f"README.md ({name})")
    if text != readme.read_text():
        _whole(readme, text)
    return changed


def _whole(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)
    return path


class Steps:
    """A line as each step starts and as it ends, with its time and the time since the start:
    `bench: [2/9] throughput ...` then `bench: [2/9] throughput done in 41 s (1:12 in all)`."""

    def __init__(self, what: str, total: int):
        self.what, self.total, self.done, self.name = what, total, 0, ""
        self.started = self.step_started = time.monotonic()

    def start(self, name: str) -> None:
        self.done, self.name = self.done + 1, name
        self.step_started = time.monotonic()
        print(f"{self.what}: [{self.done}/{self.total}] {name} ...", flush=True)

    def end(self, note: str = "") -> None:
        now = time.monotonic()
        minutes, seconds = divmod(int(now - self.started), 60)
        print(f"{self.what}: [{self.done}/{self.total}] {self.name} done in {int(now - self.step_started)} s{note} "
              f"({minutes}:{seconds:02d} in all)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Put bench/out's figures into the README and bench/results.")
    parser.add_argument("--from", dest="out", type=Path, default=OUT, help="the results folder (default: bench/out)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to update (default: this one)")
    args = parser.parse_args(argv)
    if not any(args.out.glob("*.json")) and not any(args.out.glob("*.md")):
        print(f"readme-figures: nothing in {args.out}: run `make bench` or `make reproduce` first", file=sys.stderr)
        return 1
    if not (args.root / "README.md").exists():
        print(f"readme-figures: {args.root} holds no README.md: --root is a checkout of aetui", file=sys.stderr)
        return 2
    changed = publish(args.out, args.root)
    print("readme-figures: " + (f"updated {', '.join(changed)}" if changed else "the README and results already say this"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
