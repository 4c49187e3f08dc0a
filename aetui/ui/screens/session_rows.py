"""The rows of home's session list: the sessions and sweeps in the order chosen (`ordered`), and
the rows of each (`rows`), made a page at a time as the list is scrolled (`PAGE`)."""

from __future__ import annotations

from aetui.core import ranking
from aetui.core.control import remote
from aetui.core.errors import AetuiError
from aetui.core.sweeps import standings, sweep
from aetui.views import formats
from aetui.views.figures import session_look

PAGE = 200
"""Rows the session list holds at first, and adds each time the cursor or the scroll nears its end:
a store of 20,000 sessions paints as fast as one of 200."""


def ordered(found: list, swept: list, order: str, by: str) -> list:
    """Sweeps as groups (their trials under them) and the other sessions, best first by the ranking
    figure `by` (or, `order` `newest`, newest first), each rerun or branch under its parent: a list
    of ((created, best figure, item, its trials or None), depth)."""
    by_name = {s.name: s for s in found}
    groups = [(sw, _trials([by_name[n] for n in sw.trials if n in by_name], order, by)) for sw in swept]
    grouped = {t.name for _, trials in groups for t in trials}
    items = [(sw.created, min(_values(trials, by), key=lambda v: (v is None, v or 0.0), default=None), sw,
              trials) for sw, trials in groups]
    items += [(s.meta.created, s.rank_value(by), s, None) for s in found if s.name not in grouped]
    items.sort(key=lambda i: i[0], reverse=True)
    if order != "newest":
        items = ranking.ranked(items, [i[1] for i in items])
    return ranking.family_tree(items, lambda i: i[2].name, lambda i: ranking.parent_name(i[2]) if i[3] is None
                               else None)  # (a rerun or a branch under its parent)


def _trials(trials: list, order: str, by: str) -> list:
    """A sweep's trials in the order the list shows them (best first, or in the grid's order)."""
    return trials if order == "newest" else ranking.ranked(trials, _values(trials, by))


def _values(trials: list, by: str) -> list:
    return [t.rank_value(by) for t in trials]


def rows(entry: tuple, depth: int, by: str, marked: list[str]) -> list[tuple[str, str, list, str]]:
    """The rows of one entry of `ordered` (a session's, or a sweep's and its trials'): (mark, name,
    the other cells, key), `marked` sessions marked (`mark`)."""
    _, best, item, trials = entry
    if trials is None:
        name, *rest = formats.listing_row(remote.listed(item, by))
        name = "  " * max(depth - 1, 0) + "└ " + name if depth else name
        return [(mark(str(item.path), marked), name, rest, str(item.path))]
    data = trials[0].meta.dataset_name if trials else "-"
    found = [("▾ sweep ", item.name, [standings.progress(item, trials), formats.pixel_error(best), "-",
                                      f"{len(item.trials)} trials", item.recipe, data,
                                      item.created[:16].replace("T", " ")], f"sweep:{item.name}")]
    for t in trials:
        _, *rest = formats.listing_row(remote.listed(t, by))
        label = " ".join(f"{k}={v:g}" for k, v in standings.trial_values(t).items())
        found.append((mark(str(t.path), marked, "  "), label, rest, str(t.path)))
    return found


def mark(key: str, marked: list[str], unmarked: str = "") -> str:
    """A session's mark on the list: where it is `marked`, the symbol compare draws it with (by its
    place among those marked, the order compare shows them in), else `unmarked`."""
    return f"{session_look(marked.index(key))[1]} " if key in marked else unmarked


def mark_style(key: str, marked: list[str]) -> str:
    """The style of a `marked` session's mark and name: its colour in compare."""
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
