"""`aetui export`: a session as files other tools read (`aetui.views.export` writes them)."""

from __future__ import annotations

import sys
from pathlib import Path

from aetui.commands.listing import session_named
from aetui.core.errors import AetuiError


def export(args) -> int:
    """`aetui export`: write the files, list them, and say what was left out and why."""
    from aetui.views.export import export as write

    skipped: list[str] = []
    if not args.to.strip():
        raise AetuiError("--to needs a folder to write into, e.g. --to exports/run")
    written = write(session_named(args, args.session), Path(args.to), skipped)
    for path in written:
        print(path)
    for reason in skipped:
        print(f"aetui: left out: {reason}", file=sys.stderr)
    return 0
