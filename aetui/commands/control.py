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
    op, at_epoch = args.command, getattr(args, "at_epoch", None)
    if op == "tune":
        if getattr(args, "cancel", False):
            if args.set or at_epoch is not None:
                raise AetuiError("--cancel drops every planned change: give it alone")
            op = "cancel"
        elif not args.set:
            raise AetuiError("give the new values (--set KEY=VALUE), or --cancel")
        else:
            op = "set" if at_epoch is None else "plan"
    values = hparams.parse_assignments(args.set, session.recipe().tunables) if op in ("set", "plan") else None
    answer = remote.send(session.path, op, values, at_epoch=at_epoch)
    if not answer.ok:
        raise AetuiError(f"{session.name}: {answer.message}")
    print(f"{session.name}: {answer.message}")
    return 0
