"""The tables of a saved session, as rich renderables (no TensorFlow): epochs and their losses,
the changes made during training, the session's record, its settings, the figures of `aetui eval`
and the sparsity statistics; and the live run's loss parts. `aetui show`, the replay, compare and
train screens print them alike."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from aetui.core import conventions
from aetui.core.conventions import EPOCH
from aetui.core.errors import AetuiError
from aetui.core.store import arrays
from aetui.views import formats
from aetui.views.fitted import FittedTable
from aetui.views.replay import Replay

GAPS_SHOWN = 5
"""The most gaps of a session listed one by one (the rest are counted)."""
COMPACT = {"box": box.SIMPLE_HEAD, "padding": (0, 1, 0, 0), "show_edge": False}
"""The style of a table of many figures by epoch: a column a space apart, so more fit whole."""
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


def curves_table(replay: Replay, epoch: int | None = None) -> FittedTable:
    """Per-epoch losses and parts, train and validation (the whole test set); a part built on a
    batch statistic also as validation computes it, over the epoch's training digits. The chosen
    epoch highlighted; the figures named under the table."""
    epochs = replay.session.epochs
    logs = epochs[-1].logs if epochs else {}
    keys = [k for k in logs if not k.startswith("val_") and not k.endswith(EPOCH)]
    table = FittedTable("losses by epoch (val: on the test set)", **COMPACT)
    table.add_column("epoch")
    columns: list[str] = []
    for key in keys:
        columns += [key, f"val_{key}"] + ([key + EPOCH] if key + EPOCH in logs else [])
    for key in columns:
        table.add_column(column_name(key))

    def row(i: int):
        e = epochs[i]
        return [str(e.epoch), *[formats.objective(e.logs.get(k)) for k in columns]], \
            "bold reverse" if e.epoch == epoch else None

    chosen = replay.epochs.index(epoch) if epoch in replay.epochs else None
    add_rows(table, len(epochs), row, chosen)
    named = figure_notes(replay.session, columns)
    if named:
        table.caption = "; ".join(f"{column_name(k)}: {text}" for k, text in named.items()) + \
            (f". {table.caption}" if table.caption else "")
    return table


def column_name(key: str) -> str:
    """A history key as a column header: `val_sparsity` reads `val sparsity`, `sparsity_epoch`
    `sparsity (epoch)`."""
    if key.endswith(EPOCH):
        return f"{key[:-len(EPOCH)].replace('_', ' ')} (epoch)"
    return key.replace("_", " ")


def figure_notes(session, keys: list[str]) -> dict[str, str]:
    """What the figures among `keys` that need naming are (a KL of a mean activation: over which
    set), from the session's record (`conventions.figures`)."""
    named = session.meta.figures if isinstance(session.meta.figures, dict) else {}
    return {k: str(named[k]) for k in keys if k in named and ("sparsity" in k or k == "val_l1")}


def changes_table(replay: Replay) -> FittedTable:
    """Every hyperparameter change: the epoch and the batch within it from which it applied, and
    the step (batches since training began)."""
    steps = max(replay.state.steps_per_epoch, 1)
    table = FittedTable("hyperparameter changes")
    for col in ("epoch", "from batch", "step", "name", "old", "new"):
        table.add_column(col, number=col != "name")
    changes = replay.session.changes

    def row(i: int):
        c = changes[i]
        return [str(c.epoch), str(c.step - (c.epoch - 1) * steps + 1), str(c.step), Text(c.name),
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
    if isinstance(meta.figures, dict):
        rows += [(f"figure: {key}", str(text)) for key, text in meta.figures.items()]
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
    table = FittedTable("hyperparameters")
    for col in ("name", "at start", "at the end"):
        table.add_column(col, number=col != "name", justify="left")
    for key, value in meta.params.items():
        table.add_row(Text(str(key)), formats.param(start.get(key, value)), formats.param(value))
    return Group(info_table(replay), table, changes_table(replay))


EPOCH_FIGURES = ("test_mse_pixel", "test_bce_pixel", "test_mse_image", "test_bce_image", "l0", "active_units")
"""The cheap figures recorded every epoch while training (`engine`, `sparsity.code_stats`)."""


def metrics_view(replay: Replay, epoch: int) -> Group:
    """`aetui eval`'s figures of `epoch` (or how to get them), and the cheap ones of every epoch."""
    from aetui.core.analysis.evaluation import METRICS

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
        table = FittedTable(f"epoch {epoch} on {record.data} (aetui eval, {record.created[:16].replace('T', ' ')})")
        for col in ("figure", "value", "what it is"):
            table.add_column(col, number=col == "value")
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
        table = FittedTable("recorded each epoch (test errors from the validation pass over the whole test set, "
                            "pixels in [0, 1]; L0 and active units on the labelled subset)", **COMPACT)
        table.add_column("epoch")
        for key in series:
            table.add_column(formats.header(key))

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
    table = FittedTable("sparsity by epoch", **COMPACT)
    table.add_column("epoch")
    for key in series:
        table.add_column(key.replace("_", " "))
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


def parts_table(logs: dict[str, float], stats: dict | None = None) -> Group:
    """The latest epoch's loss parts, training and test, and each part's share of the training
    loss; numbers are written shorter to fit the width, never cut. A part built on a batch
    statistic (the KL sparsity) reads in one definition on both sides, from the mean activation
    over the epoch's training digits and over the test digits, with how far apart they are; its
    per-batch mean, which training minimises (and `loss` sums), on a row of its own."""
    stats = stats or {}
    total = logs.get("loss") or float("nan")
    keys = ["loss", *sorted(k for k in logs if "_" not in k.replace("disc_acc", "") and k != "loss")]
    table = FittedTable("last epoch", box=None, padding=(0, 1, 0, 0))
    table.add_column("part", number=False, no_wrap=True)
    for col in ("train", "test", "%"):
        table.add_column(col)
    notes: list[Text] = []
    for key in keys:
        share = "" if key in ("loss", "disc_acc") else formats.percentage(logs[key] / total) if total else ""
        test = formats.objective(logs.get("val_" + key))
        if key + EPOCH in logs:  # (train and test of one definition side by side, the per-batch mean below)
            table.add_row(Text(key), formats.objective(logs[key + EPOCH]), test, "")
            table.add_row(Text(" batch", style="dim"), formats.objective(logs[key]), "", share)
            train_n, test_n = stats.get("train_images"), stats.get("test_images")
            over = f"the epoch's {train_n:,} training / the {test_n:,} test digits" if train_n and test_n else \
                "the epoch's training / the test digits"
            far = formats.ratio(logs.get("val_" + key), logs[key + EPOCH])
            notes.append(Text(f"{key}: {conventions.kl_name(over)}" + (f"; {far}" if far else "") +
                              "; batch: the mean of each batch's penalty, which training minimises"))
        else:
            table.add_row(Text(key), formats.objective(logs[key]), test, share)
    return Group(table, *[Text(note.plain, style="dim") for note in notes])
