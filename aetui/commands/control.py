"""`aetui tune`, `pause`, `continue` and `stop`: a command to a running session, through its control
channel, from any process (or machine) that shares the store."""

from __future__ import annotations

from aetui.commands.listing import session_named
from aetui.core.errors import AetuiError


def control(args) -> int:
    """`aetui tune|pause|continue|stop SESSION`: send the command and wait for the trainer's answer."""
    from aetui.core import hparams
    from aetui.core.control import remote

    session = session_named(args, args.session)
    values = hparams.parse_assignments(args.set, session.recipe().tunables) if args.command == "tune" else None
    answer = remote.send(session.path, "set" if args.command == "tune" else args.command, values)
    if not answer.ok:
        raise AetuiError(f"{session.name}: {answer.message}")
    print(f"{session.name}: {answer.message}")
    return 0
