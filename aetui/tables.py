"""The tables of a saved session, as rich renderables (no TensorFlow): epochs and their losses,
the changes made during training, the session's record, its settings, the figures of `aetui eval`
and the sparsity statistics; and the live run's loss parts. `aetui show`, the replay, compare and
train screens print them alike."""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aetui import formats
from aetui.core import arrays, conventions
from aetui.core.errors import AetuiError
from aetui.core.replay import Replay

GAPS_SHOWN = 5
"""The most gaps of a session listed one by one (the rest are counted)."""
TABLE_ROWS = 40
"""The most rows a table of epochs (or changes, or gaps) prints: a session of 100,000 epochs shows
its first and last ones and the chosen one, and says how many it left out."""


def shown_rows(count: int, chosen: int | None = None, limit: int = TABLE_ROWS) -> list[int | None]:
    """Which of `count` rows a table shows, in order, None where rows are left out: all of them
    when they fit, else the first few, the last ones and those around `chosen` (an index)."""
    if count <= limit:
        return list(range(count))
    keep = set(range(5)) | set(range(count - (limit - 16), count))
    if chosen is not None:
        keep |= set(range(max(chosen - 5, 0), min(chosen + 6, count)))
    rows: list[int | None] = []
    for i in sorted(keep):
        if rows and rows[-1] is not None and i != rows[-1] + 1:
            rows.append(None)
        rows.append(i)
    return rows


def add_rows(table: Table, count: int, row, chosen: int | None = None, what: str = "epochs") -> None:
    """Add rows 0..count-1 to `table` (`row(i)` gives its cells and style), as many as
    `shown_rows` keeps, with a row of `…` in place of each gap and a caption that counts them."""
    rows = shown_rows(count, chosen)
    for i in rows:
        if i is None:
            table.add_row(*[Text("…", style="dim")] * len(table.columns))
            continue
        cells, style = row(i)
        table.add_row(*cells, style=style)
    shown = sum(i is not None for i in rows)
    if shown < count:
        table.caption = f"{shown} of {count:,} {what} shown: the first, the last" + \
            (" and those around the chosen one" if chosen is not None else "")
        table.caption_justify = "left"


def curves_table(replay: Replay, epoch: int | None = None) -> Table:
    """Per-epoch losses and parts, train and validation; the chosen epoch highlighted."""
    epochs = replay.session.epochs
    keys = [k for k in (epochs[-1].logs if epochs else {}) if not k.startswith("val_")]
    table = Table(title="losses by epoch", title_justify="left")
    table.add_column("epoch", justify="right")
    for key in keys:
        table.add_column(escape(key), justify="right")
        table.add_column(escape(f"val_{key}"), justify="right")

    def row(i: int):
        e = epochs[i]
        cells = [formats.loss(e.logs.get(k)) for key in keys for k in (key, f"val_{key}")]
        return [str(e.epoch), *cells], "bold reverse" if e.epoch == epoch else None

    chosen = replay.epochs.index(epoch) if epoch in replay.epochs else None
    add_rows(table, len(epochs), row, chosen)
    return table


def changes_table(replay: Replay) -> Table:
    """Every hyperparameter change: the epoch and the batch within it from which it applied, and
    the step (batches since training began)."""
    steps = max(replay.state.steps_per_epoch, 1)
    table = Table(title="hyperparameter changes", title_justify="left")
    for col in ("epoch", "from batch", "step", "name", "old", "new"):
        table.add_column(col, justify="right" if col != "name" else "left")
    changes = replay.session.changes

    def row(i: int):
        c = changes[i]
        return [str(c.epoch), str(c.step - (c.epoch - 1) * steps + 1), str(c.step), escape(c.name),
                formats.param(c.old), formats.param(c.new)], None

    add_rows(table, len(changes), row, what="changes")
    if not replay.session.changes:
        table.add_row("", "", "", "(none)", "", "")
    return table


def _recipe_or_none(session):
    """The session's recipe, or None where its record holds none that validates (shown as a gap)."""
    try:
        return session.recipe()
    except AetuiError:
        return None


def info_table(replay: Replay) -> Table:
    """The session's facts: status, recipe, data, epochs, device, and any gap found reading it."""
    session = replay.session
    meta = session.meta
    table = Table(show_header=False, box=None, padding=(0, 1), title="session", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = [("session", session.name), ("status", f"{session.status} {meta.reason}".strip()),
            ("recipe", f"{meta.recipe_name} ({meta.kind}): {meta.description}"),
            ("data", f"{meta.dataset_name}: {meta.train_images or '?'} train / {meta.test_images or '?'} test"),
            ("epochs", f"{session.epochs_done}/{meta.epochs}, batch {meta.batch_size}"),
            ("device", meta.device or "?"), ("created", meta.created)]
    recipe_ = _recipe_or_none(session)
    if recipe_ is not None:
        rows += [(f"loss: {part}", text) for part, text in conventions.of_parts(recipe_).items()]
    problems = session.problems
    rows += [("gap", Text(problem, style="yellow")) for problem in problems[:GAPS_SHOWN]]
    if len(problems) > GAPS_SHOWN:
        rows.append(("gap", Text(f"… and {len(problems) - GAPS_SHOWN:,} more", style="yellow")))
    for key, value in rows:
        table.add_row(key, value if isinstance(value, Text) else Text(str(value)))
    return table


def params_view(replay: Replay) -> Group:
    """The session's facts, starting and current hyperparameters, and the timeline of changes."""
    meta = replay.session.meta
    start = replay.start_params
    table = Table(title="hyperparameters", title_justify="left")
    for col in ("name", "at start", "at the end"):
        table.add_column(col)
    for key, value in meta.params.items():
        table.add_row(escape(str(key)), formats.param(start.get(key, value)), formats.param(value))
    return Group(info_table(replay), table, changes_table(replay))


EPOCH_FIGURES = ("test_bce_pixel", "test_bce_image", "test_mse_pixel", "test_mse_image", "l0", "active_units")
"""The cheap figures recorded every epoch while training (`engine`, `sparsity.code_stats`)."""


def metrics_view(replay: Replay, epoch: int) -> Group:
    """`aetui eval`'s figures of `epoch` (or how to get them), and the cheap ones of every epoch."""
    from aetui.core.evaluation import METRICS

    evaluations, problems = replay.evaluations
    name = replay.session.name
    parts: list[RenderableType] = []
    record = evaluations.get(epoch)
    if record is None:
        done = ", ".join(str(e) for e in sorted(evaluations))
        parts.append(Text(f"Epoch {epoch} has no evaluation on the whole test set: `aetui eval {name}` makes one "
                          "(of the last epoch, whose weights are kept)" +
                          (f"; evaluated epochs: {done}" if done else ""), style="dim"))
    else:
        table = Table(title=f"epoch {epoch} on {record.data} (aetui eval, {record.created[:16].replace('T', ' ')})",
                      title_justify="left")
        for col in ("figure", "value", "what it is"):
            table.add_column(col, overflow="fold", justify="right" if col == "value" else "left")
        for key, value in record.metrics.items():
            label, what = METRICS.get(key, (key, ""))
            if key == "iwae":
                what += f" (K = {record.samples})"
            table.add_row(Text(label), formats.stat(key, value), Text(what, style="dim"))
        parts.append(table)
        if record.kl_per_dim:
            order = np.argsort(record.kl_per_dim)[::-1]
            parts.append(Text("KL per latent dimension (nats, largest first): " +
                              " ".join(f"{record.kl_per_dim[i]:.3g}" for i in order[:16]) +
                              (" …" if len(order) > 16 else "")))
        histogram = record.firing_histogram
        if histogram.get("counts") and len(histogram.get("edges", [])) == len(histogram["counts"]) + 1:
            bars = Table(title="units by firing rate (share of test images on which a unit is active)",
                         title_justify="left", box=None, show_header=False)
            most = max(max(histogram["counts"]), 1)
            for count, low, high in zip(histogram["counts"], histogram["edges"], histogram["edges"][1:]):
                bars.add_row(f"{low:.0%}-{high:.0%}", str(int(count)), "█" * round(30 * count / most))
            parts.append(bars)
    series = replay.per_epoch(EPOCH_FIGURES)
    if series:
        table = Table(title="recorded each epoch (test error from the validation pass over the whole test set; "
                            "L0 and active units on the labelled subset)", title_justify="left")
        table.add_column("epoch", justify="right")
        for key in series:
            table.add_column(formats.header(key).replace("test ", "").replace("_", " "), justify="right")

        def row(i: int):
            e = replay.epochs[i]
            return [str(e), *[formats.stat(k, series[k][i]) for k in series]], "bold reverse" if e == epoch else None

        add_rows(table, len(replay.epochs), row, replay.epochs.index(epoch) if epoch in replay.epochs else None)
        parts.append(table)
    parts += [Text(f"gap: {problem}", style="yellow") for problem in problems[:GAPS_SHOWN]]
    return Group(*parts)


def sparsity_view(replay: Replay, epoch: int) -> Group:
    """Sparsity figures over the epochs, and per-unit mean activation at `epoch`."""
    series = replay.sparsity_series()
    table = Table(title="sparsity by epoch", title_justify="left")
    table.add_column("epoch", justify="right")
    for key in series:
        table.add_column(key.replace("_", " "), justify="right")
    def row(i: int):
        e = replay.epochs[i]
        return [str(e), *[formats.stat(k, series[k][i]) for k in series]], "bold reverse" if e == epoch else None

    add_rows(table, len(replay.epochs), row, replay.epochs.index(epoch) if epoch in replay.epochs else None)
    parts: list = [table]
    stats = replay.stats(epoch)
    try:
        snap = replay.snapshot(epoch)
    except AetuiError as err:
        return Group(*parts, Text(f"per-unit figures of epoch {epoch} unavailable: {err}", style="yellow"))
    if "first_two_zero" in stats:
        parts.append(Text(f"At epoch {epoch}, for {formats.share(stats['first_two_zero'])} of the test digits at "
                          "least one of the first two code units is zero (|a| < 0.01)."))
    means = arrays.vector(snap, "unit_means", replay.where(epoch))
    kl = arrays.vector(snap, "kl_per_dim", replay.where(epoch))
    if means is not None and means.size:
        order = np.argsort(means)[::-1]
        p = replay.session.meta.params.get("p")
        head = f"per-unit mean activation at {replay.label(epoch)}" + (f" (target p = {p:g})" if p is not None else "")
        parts.append(Text(head + ", most active first: " + " ".join(f"{means[i]:.3g}" for i in order[:16]) +
                          (" …" if len(order) > 16 else "")))
    if kl is not None:
        parts.append(Text("KL per latent dimension: " + "  ".join(f"{v:.3g}" for v in kl)))
    return Group(*parts)


def parts_table(logs: dict[str, float], kl_sparsity: bool = False, width: int = 28) -> Table:
    """The latest epoch's loss parts: train and validation values and each part's share of the loss,
    in `width` columns (numbers are written shorter to fit, never cut)."""
    total = logs.get("loss") or float("nan")
    keys = ["loss", *sorted(k for k in logs if "_" not in k.replace("disc_acc", "") and k != "loss")]
    number = max(5, (width - max(len(k) for k in keys) - 4 - 4) // 2)
    table = Table("part", box=None, padding=(0, 1, 0, 0), title="last epoch", title_justify="left",
                  caption_style="dim")
    for header, least in (("train", number), ("val", number), ("%", 4)):
        table.add_column(header, min_width=least, no_wrap=True)  # the part's name gives way, not a number
    train = formats.fit_column([formats.loss(logs[k]) for k in keys], number)
    val = formats.fit_column([formats.loss(logs.get("val_" + k)) for k in keys], number)
    for key, t, v in zip(keys, train, val):
        share = "" if key in ("loss", "disc_acc") else formats.share(logs[key] / total) if total else ""
        table.add_row(Text(key), t, v, share)
    if formats.val_sparsity_note(logs, kl_sparsity):
        table.caption = formats.VAL_SPARSITY_NOTE
        table.caption_justify = "left"
    return table
