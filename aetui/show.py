"""The views of a saved session: tables as rich renderables, pictures as `Figure`s (no TensorFlow).

A `Figure` is a view's picture (an `aetui.figures` array) with the words around it, made for a
space in pixels: `aetui show` prints it in half blocks, the replay and compare screens draw it in
real pixels where the terminal can, and `aetui export` writes the same arrays as PNGs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aetui import figures, formats
from aetui.core import arrays
from aetui.core.errors import AetuiError
from aetui.core.recipe import conventions
from aetui.core.replay import Replay
from aetui.render import class_style, half_block_text

VIEWS = ("curves", "recon", "scatter", "sweep", "area", "sparsity", "params", "metrics")
PICTURES = ("recon", "scatter", "sweep", "area")
"""The views that are pictures (`figure`); the others are tables (`render_view`)."""


@dataclass
class Figure:
    """One view's picture and the words around it."""

    caption: str
    image: np.ndarray | None = None
    """Gray or RGB uint8 pixels (None where the view is words only, e.g. the area map in text)."""
    notes: dict = field(default_factory=dict)
    """Labels written over a half-block picture: cell row -> [(column, text)]."""
    side: RenderableType | None = None
    """What goes beside the picture (the scatter's key)."""
    below: RenderableType | None = None
    """What goes under it (the scatter's axes, the area shares)."""

    def text(self, ascii: bool = False) -> Group:
        """The whole figure as text, its picture in half blocks (or ASCII)."""
        parts: list[RenderableType] = [Text(self.caption, style="dim")]
        if self.image is not None:
            picture = half_block_text(self.image, ascii, self.notes)
            if self.side is not None:
                grid = Table.grid(padding=(0, 1))
                grid.add_row(picture, self.side)
                picture = grid
            parts.append(picture)
        if self.below is not None:
            parts.append(self.below)
        return Group(*parts)


def digits_figure(originals: np.ndarray, recons: np.ndarray, labels: list[str], width: int, height: int,
                  pixels: bool = False, caption: str = "") -> Figure:
    """Digits over their reconstructions in `width` x `height` pixels: full size wherever two fit,
    never under 14 pixels; labelled in half blocks (one text row over each row of digits)."""
    native = figures.crop_border(originals[:1]).shape[1]
    label = 0 if pixels else 2
    layout = figures.digit_layout(len(originals), native * (1 if pixels or native >= 16 else 2), width, height,
                                  label=label, upscale=pixels)
    image = figures.digit_sheet(originals, recons, layout)
    notes: dict[int, list] = {}
    if label:
        for (top, left), name in zip(figures.label_positions(layout), labels[:layout.shown]):
            notes.setdefault(top // 2, []).append((left + max(0, (layout.pixels - len(name)) // 2), name))
    shown = min(layout.shown, len(originals))
    how = caption or "test digits over their reconstructions"
    more = f" ({shown} of {len(originals)})" if shown < len(originals) else ""
    return Figure(f"{how}{more}", image, notes)


def recon_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False) -> Figure:
    """The fixed test digits over their reconstructions at `epoch`."""
    originals, recon, labels = replay.reconstructions(epoch)
    return digits_figure(originals, recon, labels, width, height, pixels,
                         f"{replay.label(epoch)}: test digits over their reconstructions")


def sweep_figure(replay: Replay, epoch: int, width: int, height: int | None = None, pixels: bool = False) -> Figure:
    """The decoded latent grid at `epoch`, as wide as `width` allows (and, given `height`, as tall)."""
    images, columns, how = replay.sweep(epoch)
    image, every = figures.sweep_sheet(images, columns, width, height, upscale=pixels)
    note = f", every {every} cells" if every > 1 else ""
    return Figure(f"{replay.label(epoch)}: sweep over {how}{note}", image)


def area_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False) -> Figure:
    """Latent area share per digit beside its share of the training set, and the map of cells:
    coloured squares in pixels, or cells of text with the winning digit in half blocks."""
    area = replay.area(epoch)
    rows, columns = area["cells"].shape
    table = Table(title=f"latent area share, {replay.label(epoch)} ({area['k']} nearest test codes per cell)",
                  title_justify="left")
    for col in ("class", "area share", "training share", "ratio"):
        table.add_column(col, justify="right")
    for cls, (a, t) in enumerate(zip(area["area"], area["train"])):
        table.add_row(Text(str(cls), style=class_style(cls)), f"{a:.1%}", f"{t:.1%}", f"{a / t:.2f}" if t else "-")
    caption = f"cells by nearest digit ({area['plane']})"
    if pixels:
        cell = max(4, min(width // columns, max(height, 1) // rows))
        return Figure(caption, figures.area_map(area["cells"], cell), below=table)
    cell = max(2, min(8, width // columns) // 2 * 2)
    repeat = max(1, min(cell // 2, (height // 2) // rows))
    cells = Text()
    for row in area["cells"]:
        for line in range(repeat):
            for cls in row:
                label = f"{cls:^{cell}}" if line == repeat // 2 else " " * cell
                cells.append(label, style=f"black on {class_style(int(cls))}")
            cells.append("\n")
    cells.rstrip()
    return Figure(caption, None, below=Group(table, cells))


def scatter_figure(points: np.ndarray, labels: np.ndarray, how: str, width: int, height: int,
                   pixels: bool = False) -> Figure:
    """Labelled points in the class colours in a `width` x `height` pixel picture, each placed to
    the pixel: antialiased dots in real pixels, one half-block pixel each otherwise; the axes'
    ranges under it and the key beside it (`KEY_CELLS` columns: leave them free)."""
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not len(points) or not np.isfinite(points).all():
        raise AetuiError("the codes of this epoch cannot be drawn (empty or not finite)")
    classes = np.unique(labels).astype(int).tolist()
    lo, hi = points.min(axis=0), points.max(axis=0)
    axes = Text(f"x {lo[0]:.3g} … {hi[0]:.3g}   y {lo[1]:.3g} … {hi[1]:.3g}", style="dim")
    if pixels:  # the key in the picture too: the terminal's text colours may be fewer than its pixels'
        key = figures.key_image(classes)
        image = figures.scatter_image(points, labels, max(8, width - key.shape[1]), max(4, height),
                                      dot=max(1.5, min(width, height) / 160))
        padded = np.zeros((max(image.shape[0], key.shape[0]), image.shape[1] + key.shape[1], 3), np.uint8)
        padded[:image.shape[0], :image.shape[1]] = image
        padded[:key.shape[0], image.shape[1]:] = key
        return Figure(how, padded, below=axes)
    key = Text()
    for cls in classes:
        key.append("● ", style=class_style(cls)).append(f"{cls}\n")
    key.rstrip()
    image = figures.scatter_image(points, labels, max(8, width), max(4, height), dot=0.5)
    return Figure(how, image, side=key, below=axes)


KEY_CELLS = 5
"""Columns the scatter's key takes beside it."""
TEXT_ROWS = {"recon": 1, "sweep": 1, "scatter": 2, "area": 15}
"""Rows of words each picture view puts around its picture (caption, axes, table)."""


def scatter_text(points: np.ndarray, labels: np.ndarray, width: int, height: int, how: str) -> Text:
    """A scatter for terminals without colour: each point as its digit on a grid of characters."""
    points = np.asarray(points, np.float64)
    text = Text(f"{how}\n", style="dim")
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cols = ((points[:, 0] - lo[0]) / span[0] * (width - 1)).round().astype(int)
    rows = ((hi[1] - points[:, 1]) / span[1] * (height - 2)).round().astype(int)
    canvas = [[" "] * width for _ in range(height - 1)]
    for r, c, lab in zip(rows, cols, labels):
        canvas[r][c] = str(int(lab) % 10)
    text.append("\n".join("".join(row) for row in canvas) + "\n")
    text.append(f"x {lo[0]:.3g} .. {hi[0]:.3g}   y {lo[1]:.3g} .. {hi[1]:.3g}", style="dim")
    return text


def figure(replay: Replay, view: str, epoch: int, columns: int, rows: int, pixels: bool = False,
           cell: tuple[int, int] = (1, 2), projection: str = "pca") -> Figure:
    """The picture view `view` (one of `PICTURES`) at `epoch` for `columns` x `rows` cells of
    `cell` pixels each (half blocks: 1 x 2), leaving room for its words."""
    width = (columns - (KEY_CELLS if view == "scatter" and not pixels else 0)) * cell[0]
    height = max(rows - TEXT_ROWS[view], 4) * cell[1]
    if pixels:
        width, height = min(width, figures.LARGEST), min(height, figures.LARGEST)
    if view == "recon":
        return recon_figure(replay, epoch, width, height, pixels)
    if view == "sweep":
        return sweep_figure(replay, epoch, width, height if pixels else None, pixels)
    if view == "area":
        return area_figure(replay, epoch, width, height, pixels)
    points, how = replay.projection(epoch, projection)
    return scatter_figure(points, replay.codes(epoch)[1], f"{replay.label(epoch)}: {how}", width, height, pixels)


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
    data, recipe = meta.dataset, meta.recipe
    rows = [("session", session.name), ("status", f"{session.status} {meta.reason}".strip()),
            ("recipe", f"{recipe.get('name', '?')} ({recipe.get('kind', '?')}): {recipe.get('description', '')}"),
            ("data", f"{data.get('name', '?')}: {data.get('train', '?')} train / {data.get('test', '?')} test"),
            ("epochs", f"{session.epochs_done}/{meta.epochs}, batch {meta.batch_size}"),
            ("device", meta.device or "?"), ("created", meta.created)]
    recipe_ = _recipe_or_none(session)
    if recipe_ is not None:
        rows += [(f"loss: {part}", text) for part, text in conventions(recipe_).items()]
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


def render_view(replay: Replay, view: str, epoch: int, width: int = 100, height: int = 30,
                ascii: bool = False, projection: str = "pca") -> RenderableType:
    """The renderable for one view at one epoch, `width` x `height` cells (pictures in half blocks)."""
    if view == "curves":
        return Group(curves_table(replay, epoch), changes_table(replay))
    if view == "sparsity":
        return sparsity_view(replay, epoch)
    if view == "params":
        return params_view(replay)
    if view == "metrics":
        return metrics_view(replay, epoch)
    if view == "scatter" and ascii:
        points, how = replay.projection(epoch, projection)
        return scatter_text(points, replay.codes(epoch)[1], width, height, f"{replay.label(epoch)}: {how}")
    return figure(replay, view, epoch, width, height, projection=projection).text(ascii)
