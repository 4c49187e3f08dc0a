"""`aetui show`: one view of a saved session, printed."""

from __future__ import annotations

from aetui.commands.listing import session_named
from aetui.core.errors import AetuiError
from aetui.views import terminal


def show(args) -> int:
    """`aetui show`: the view `--view` of a session at an epoch (default: its last)."""
    from rich.console import Console
    from rich.markup import escape

    from aetui.views.registry import NAMED, render_view
    from aetui.views.replay import Replay

    session = session_named(args, args.session)
    replay = Replay(session)
    console = Console()
    view = NAMED[args.view]
    if not replay.epochs and not view.epochless:  # (or why the history could not be read)
        raise AetuiError(session.history_error or f"{session.name} has no completed epoch yet")
    epoch = replay.check_epoch(args.epoch) if args.epoch is not None else replay.last
    if view.projections and args.projection == "tsne" and replay.codes(epoch)[0].shape[1] <= 2:
        console.print("[dim]This code is 2-D: the scatter shows it directly; --projection does not apply.[/]")
    from aetui.views.tables import GAPS_SHOWN

    problems = session.problems
    for problem in problems[:GAPS_SHOWN]:
        console.print(f"gap: {problem}", style="yellow", markup=False)
    if len(problems) > GAPS_SHOWN:
        console.print(f"gap: … and {len(problems) - GAPS_SHOWN:,} more (aetui show {session.name} --view params "
                      "lists the first ones)", style="yellow", markup=False)
    console.print(f"[b]{escape(session.name)}[/b] · {escape(session.meta.recipe_name)} · "
                  f"{session.status} · epoch {epoch}/{replay.last}")
    console.print(render_view(replay, view, epoch, console.width, max(console.height - 4, 20),
                              ascii=args.ascii or not terminal.colour_available() or not console.is_terminal,
                              projection=args.projection))
    return 0
