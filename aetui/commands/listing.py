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


PLAIN_ROWS = 500
"""Past this many sessions `aetui ls` writes its table as plain text, columns a space apart (rich
lays out a table of 20,000 rows for over ten seconds)."""
AGES = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since(text: str | None):
    """`--since DATE` as a time (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DDTHH:MM[:SS]`, local
    unless it names a zone; or an age before now: `30m`, `12h`, `3d`, `2w`), None without one."""
    from datetime import datetime, timedelta

    if text is None:
        return None
    word = text.strip()
    if word[:-1].isdigit() and word[-1:] in AGES:
        return datetime.now().astimezone() - timedelta(seconds=int(word[:-1]) * AGES[word[-1]])
    try:
        when = datetime.fromisoformat(word)
    except ValueError:
        raise AetuiError(f"--since {word!r} is no date: give YYYY-MM-DD, YYYY-MM-DD HH:MM, YYYY-MM-DDTHH:MM:SS "
                         "or an age such as 30m, 12h, 3d, 2w") from None
    return when if when.tzinfo is not None else when.astimezone()


def ls(args) -> int:
    """`aetui ls`: the sessions and sweeps in the store, one row each (`--limit`, `--since`,
    `--family`, `--status`: only some sessions)."""
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
    limit = getattr(args, "most", None)
    if limit is not None and limit < 1:
        raise AetuiError(f"--limit {limit}: list at least one session")
    store = paths.session_store(args.sessions)
    filtered = any(getattr(args, k, None) is not None for k in ("family", "status"))
    listing = sessions.list_store(store, limit=limit, since=since(getattr(args, "since", None)),
                                  family=getattr(args, "family", None), status=getattr(args, "status", None),
                                  status_of=lambda s: remote.listed(s, by)[1])
    import gc

    gc.freeze()  # (the sessions live until the process ends: the collector need not walk them again)
    if filtered:  # (a damaged folder has no family or status to keep it by)
        listing.damaged.clear()
    found = ranking.ranked(listing.sessions, [s.rank_value(by) for s in listing.sessions])
    swept = sweep.list_sweeps(store, listing.damaged)
    console = table_output()
    if not found and not swept and not listing.damaged:
        asked = filtered or getattr(args, "since", None) is not None
        console.print(f"No sessions in {store} match." if asked else
                      f"No sessions in {store} yet: try `aetui train ae-32 --epochs 2`.", markup=False)
        return 0
    if found or listing.damaged:
        title = f"Sessions in {store}, best {ranking.LABELS[by]} first" + (
            f" (the {len(found):,} newest of {listing.total:,})" if len(found) < listing.total else "")
        caption = f"{ranking.describe(by)}. val loss: each session's own objective on the test set, comparable " \
                  "only between sessions of one loss."
        tree = ranking.family_tree(found, lambda s: s.name, ranking.parent_name) if getattr(args, "tree", False) \
            else [(s, 0) for s in found]
        rows = []
        for s, depth in tree:
            row = formats.listing_row(remote.listed(s, by))
            if depth:  # (`--tree`: a rerun or a branch under its parent, saying how it was made)
                row = ("  " * (depth - 1) + "└ " + row[0] + f" ({ranking.lineage_label(s.meta.parent)})", *row[1:])
            rows.append(row)
        good = len(rows)
        rows += [(folder, "damaged", "", "", "", "", "", "") for folder, _ in listing.damaged]
        numbers = (2, 3, 4)  # (the figure, the objective, epochs done of all: never folded)
        columns = sessions.summary_columns(by)
        if len(rows) > PLAIN_ROWS:
            plain(title, columns, rows, numbers, caption)
        else:
            table = FittedTable(Text(title), caption=caption, **COMPACT)
            for i, col in enumerate(columns):
                table.add_column(col, number=i in numbers, no_wrap=i == 0)
            for n, row in enumerate(rows):  # (a damaged folder's row: its status in red)
                table.add_row(*(cell if i in numbers else Text(cell, style="red" if n >= good and i == 1 else "")
                                for i, cell in enumerate(row)))
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


def plain(title: str, columns, rows: list, numbers, caption: str) -> None:
    """The listing as plain text: the title, the columns a space apart (numbers to the right), the
    caption; every cell is shown as written (`printable`: no control character reaches the terminal)."""
    import sys

    from aetui.core.text import printable

    rows = [[printable(str(cell)) for cell in row] for row in rows]
    widths = [max([len(col)] + [len(row[i]) for row in rows]) for i, col in enumerate(columns)]

    def line(cells) -> str:
        return " ".join(c.rjust(w) if i in numbers else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [printable(title), line(columns).rstrip(), " ".join("─" * w for w in widths)]
    out += [line(row).rstrip() for row in rows]
    sys.stdout.write("\n".join([*out, printable(caption), ""]))
    sys.stdout.flush()
