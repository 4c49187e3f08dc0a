"""The commands that read the store and the recipes: `aetui show`, `export`, `recipes` and `ls`."""

from __future__ import annotations

import sys
from pathlib import Path

from aetui.core.errors import AetuiError
from aetui.core.store import paths
from aetui.views import terminal


def session_named(args, name: str):
    """The session `name` (or path) in the store `args` name."""
    from aetui.core.store import sessions

    return sessions.find(paths.session_store(args.sessions), name)


def show(args) -> int:
    from rich.console import Console
    from rich.markup import escape

    from aetui.views.replay import Replay
    from aetui.views.show import render_view

    session = session_named(args, args.session)
    replay = Replay(session)
    console = Console()
    if not replay.epochs and args.view != "params":  # (or why the history could not be read)
        raise AetuiError(session.history_error or f"{session.name} has no completed epoch yet")
    epoch = replay.check_epoch(args.epoch) if args.epoch is not None else replay.last
    if args.view == "scatter" and args.projection == "tsne" and replay.codes(epoch)[0].shape[1] <= 2:
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
    console.print(render_view(replay, args.view, epoch, console.width, max(console.height - 4, 20),
                              ascii=args.ascii or not terminal.colour_available() or not console.is_terminal,
                              projection=args.projection))
    return 0


def export(args) -> int:
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


def recipes(args) -> int:
    from rich.table import Table
    from rich.text import Text

    from aetui.core import recipe
    from aetui.views.console import table_output

    table = Table(title="Recipes", title_justify="left")
    for col in ("name", "kind", "code", "tunes", "description"):
        table.add_column(col, overflow="fold")
    for name, path in sorted(recipe.discover(paths.recipe_dirs()).items()):
        try:
            r = recipe.load_file(path)
        except AetuiError as err:
            table.add_row(Text(name), Text("broken", style="red"), "", "", Text(str(err), style="red"))
            continue
        table.add_row(Text(name), r.kind, str(r.net["code"]), " ".join(r.tunables), Text(r.description))
    table_output().print(table)
    return 0


def ls(args) -> int:
    from rich.table import Table
    from rich.text import Text

    from aetui.core import ranking
    from aetui.core.store import sessions
    from aetui.core.sweeps import standings, sweep
    from aetui.views import formats
    from aetui.views.console import table_output
    from aetui.views.fitted import FittedTable
    from aetui.views.tables import COMPACT

    by = ranking.choice(getattr(args, "rank_by", None))
    store = paths.session_store(args.sessions)
    listing = sessions.list_store(store)
    found = ranking.ranked(listing.sessions, [s.rank_value(by) for s in listing.sessions])
    swept = sweep.list_sweeps(store, listing.damaged)
    console = table_output()
    if not found and not swept and not listing.damaged:
        console.print(f"No sessions in {store} yet: try `aetui train ae-32 --epochs 2`.", markup=False)
        return 0
    if found or listing.damaged:
        table = FittedTable(Text(f"Sessions in {store}, best {ranking.LABELS[by]} first"),
                            caption=f"{ranking.describe(by)}. val loss: each session's own objective on the test "
                                    "set, comparable only between sessions of one loss.", **COMPACT)
        numbers = (2, 3, 4)  # (the figure, the objective, epochs done of all: never folded)
        for i, col in enumerate(sessions.summary_columns(by)):
            table.add_column(col, number=i in numbers, no_wrap=i == 0)
        for s in found:
            row = formats.listing_row(s.summary(by))
            table.add_row(*(cell if i in numbers else Text(cell) for i, cell in enumerate(row)))
        for folder, _ in listing.damaged:  # listed, so nobody wonders where it went; the others stand
            table.add_row(Text(folder), Text("damaged", style="red"), "", "", "", "", "", "")
        console.print(table)
        for folder, reason in listing.damaged:  # (why, whole, under the table)
            console.print(Text(f"{folder}: {reason}", style="red"), soft_wrap=True)
    if swept:
        by_name = {s.name: s for s in found}
        table = Table(title=Text(f"Sweeps in {store}"), title_justify="left")
        for col in ("sweep", "recipe", "grid", "progress"):
            table.add_column(col, overflow="fold", no_wrap=col == "sweep")
        for plan in swept:
            grid = "  ".join(f"{k}={','.join(f'{v:g}' for v in values)}" for k, values in plan.grid.items())
            trials = [by_name[n] for n in plan.trials if n in by_name]
            table.add_row(Text(plan.name), Text(plan.recipe), grid, standings.progress(plan, trials))
        console.print(table)
    return 0
