"""`aetui recipes` and `aetui ls`: what there is to train and what has been trained; and the
session a command names (`session_named`), found in the store it names."""

from __future__ import annotations

from aetui.core.errors import AetuiError
from aetui.core.store import paths


def session_named(args, name: str):
    """The session `name` (or path) in the store `args` name."""
    from aetui.core.store import sessions

    return sessions.find(paths.session_store(args.sessions), name)


def recipes(args) -> int:
    """`aetui recipes`: every recipe found, and what it trains (`--settings RECIPE`: what it takes)."""
    from rich.table import Table
    from rich.text import Text

    from aetui.core import recipe
    from aetui.views.console import table_output

    if args.settings is not None:
        table_output().print(settings_table(recipe.find(args.settings, paths.recipe_dirs())))
        return 0
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


def settings_table(r):
    """The settings recipe `r` takes: name, short name, valid range, its value, what it does."""
    from rich.table import Table
    from rich.text import Text

    from aetui.core.families.registry import family
    from aetui.core.hparams import HPARAMS, RUN_SETTINGS

    table = Table(title=f"Settings of {r.name} (--set NAME=VALUE, aetui tune; either name)", title_justify="left")
    for col in ("setting", "short", "valid", "value", "what it does"):
        table.add_column(col, overflow="fold", no_wrap=col in ("setting", "valid"))
    rows = [(HPARAMS[n], r.params.get(n)) for n in r.tunables] + \
        [(spec, r.train.get(name)) for name, spec in RUN_SETTINGS.items()]
    for spec, value in rows:
        table.add_row(spec.name, spec.short or "", spec.describe_range(), "" if value is None else f"{value:g}",
                      Text(family(r.kind).help_of(spec) + ("" if spec.name in HPARAMS else " (fixed once a run starts: "
                                                    f"--{spec.name.replace('_', '-')})")))
    return table


def ls(args) -> int:
    """`aetui ls`: the sessions and sweeps in the store, one row each."""
    from rich.table import Table
    from rich.text import Text

    from aetui.core import ranking
    from aetui.core.control import remote
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
        tree = ranking.family_tree(found, lambda s: s.name, ranking.parent_name) if getattr(args, "tree", False) \
            else [(s, 0) for s in found]
        for s, depth in tree:
            row = formats.listing_row(remote.listed(s, by))
            if depth:  # (`--tree`: a rerun or a branch under its parent, saying how it was made)
                row = ("  " * (depth - 1) + "└ " + row[0] + f" ({ranking.lineage_label(s.meta.parent)})", *row[1:])
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
