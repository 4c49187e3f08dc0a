"""The rows of home's session list: the sessions and sweeps in the order chosen (`ordered`, from
the listing's entries alone), and the rows of each (`rows`, each session read as its row is made),
made a page at a time as the list is scrolled (`PAGE`)."""

from __future__ import annotations

import contextlib

from aetui.core import ranking
from aetui.core.control import remote
from aetui.core.errors import AetuiError
from aetui.core.sweeps import standings, sweep
from aetui.views import formats

PAGE = 200
"""Rows the session list holds at first, and adds each time the cursor or the scroll nears its end:
a store of 20,000 sessions paints as fast as one of 200."""


def ordered(entries: list, swept: list, order: str, by: str) -> list:
    """Sweeps as groups (their trials under them) and the other sessions, newest first (or, `order`
    a ranking figure, best first by the figure `by`), each rerun or branch under its parent: a list
    of ((created, best figure, item, its trials or None), depth). The sessions are the listing's
    entries (`listing.Entry`: what orders them, from the store's index): none is read here."""
    by_name = {e.name: e for e in entries}
    groups = [(sw, _trials([by_name[n] for n in sw.trials if n in by_name], order, by)) for sw in swept]
    grouped = {t.name for _, trials in groups for t in trials}
    items = [(sw.created, min(_values(trials, by), key=lambda v: (v is None, v or 0.0), default=None), sw,
              trials) for sw, trials in groups]
    best = order != "newest"  # (a session's own figure orders it only then; its row shows it from its summary)
    items += [(e.created, e.figure(by) if best else None, e, None) for e in entries if e.name not in grouped]
    items.sort(key=lambda i: i[0], reverse=True)
    if best:
        items = ranking.ranked(items, [i[1] for i in items])
    return ranking.family_tree(items, lambda i: i[2].name, lambda i: i[2].parent if i[3] is None
                               else None)  # (a rerun or a branch under its parent)


def _trials(trials: list, order: str, by: str) -> list:
    """A sweep's trials in the order the list shows them (best first, or in the grid's order)."""
    return trials if order == "newest" else ranking.ranked(trials, _values(trials, by))


def _values(trials: list, by: str) -> list:
    return [t.figure(by) for t in trials]


def rows(entry: tuple, depth: int, by: str, marked: list[str], session) -> list[tuple[str, str, list, str]]:
    """The rows of one entry of `ordered` (a session's, or a sweep's and its trials'): (mark, name,
    the other cells, key), `marked` sessions marked (`mark`). Each session is read now
    (`session(entry)`, `Listing.session`); one that cannot be read any more (gone, damaged since)
    has no row."""
    _, best, item, trials = entry
    if trials is None:
        try:
            made = session(item)
        except AetuiError:
            return []
        name, *rest = formats.listing_row(remote.listed(made, by))
        name = "  " * max(depth - 1, 0) + "└ " + name if depth else name
        return [(mark(str(made.path), marked), name, rest, str(made.path))]
    made = []
    for trial in trials:
        with contextlib.suppress(AetuiError):
            made.append(session(trial))
    data = made[0].meta.dataset_name if made else "-"
    found = [("▾ sweep ", item.name, [standings.progress(item, made), formats.pixel_error(best), "-",
                                      f"{len(item.trials)} trials", item.recipe, data,
                                      item.created[:16].replace("T", " ")], f"sweep:{item.name}")]
    for t in made:
        _, *rest = formats.listing_row(remote.listed(t, by))
        label = " ".join(f"{k}={v:g}" for k, v in standings.trial_values(t).items())
        found.append((mark(str(t.path), marked, "  "), label, rest, str(t.path)))
    return found


def mark(key: str, marked: list[str], unmarked: str = "") -> str:
    """A session's mark on the list: where it is `marked`, the symbol compare draws it with (by its
    place among those marked, the order compare shows them in), else `unmarked`."""
    if key not in marked:
        return unmarked
    from aetui.views.figures import session_look  # (here: the list paints its first rows without numpy)

    return f"{session_look(marked.index(key))[1]} "


def mark_style(key: str, marked: list[str]) -> str:
    """The style of a `marked` session's mark and name: its colour in compare."""
    from aetui.views.figures import session_look

    (r, g, b), _ = session_look(marked.index(key))
    return f"bold rgb({r},{g},{b})"


def sweep_resume_hint(store, name: str) -> str:
    """What `u` on a sweep's row says: how to take it up, or why there is nothing to take up."""
    try:
        found = sweep.find(store, name)
    except AetuiError as err:
        return str(err)
    if found is None:
        return f"Sweep {name} is gone from {store}."
    if sweep.running(store, name):
        return f"Sweep {name} is running (in its own `aetui sweep` process)."
    trials = standings.trial_sessions(store, found)
    if len(trials) == len(found.trials) and all(sweep.done(t) for t in trials):
        return f"Every trial of sweep {name} is done: Enter compares them."
    return f"A sweep goes on from a shell: aetui sweep --resume {name}"
