"""`aetui show`: one view of a saved session printed to stdout with rich (no TensorFlow).

The same renderables feed the replay screen, so a view looks alike in both places.
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from aetui.core.errors import AetuiError
from aetui.core.replay import Replay
from aetui.render import class_style, digit_rows, grid, grid_positions

VIEWS = ("curves", "recon", "scatter", "sweep", "area", "sparsity", "params")
def curves_table(replay: Replay, epoch: int | None = None) -> Table:
    """Per-epoch losses and parts, train and validation; the chosen epoch highlighted."""
    epochs = replay.session.epochs
    keys = [k for k in (epochs[-1].logs if epochs else {}) if not k.startswith("val_")]
    table = Table(title="losses by epoch", title_justify="left")
    table.add_column("epoch", justify="right")
    for key in keys:
        table.add_column(key, justify="right")
        table.add_column(f"val_{key}", justify="right")
    for e in epochs:
        cells = [f"{e.logs.get(k, math.nan):.4g}" for key in keys for k in (key, f"val_{key}")]
        table.add_row(str(e.epoch), *cells, style="bold reverse" if e.epoch == epoch else None)
    return table


def changes_table(replay: Replay) -> Table:
    """Every hyperparameter change with the epoch and batch it took effect."""
    table = Table(title="hyperparameter changes", title_justify="left")
    for col in ("epoch", "from batch", "name", "old", "new"):
        table.add_column(col, justify="right" if col != "name" else "left")
    for c in replay.session.changes:
        table.add_row(str(c.epoch), str(c.step), c.name, f"{c.old:g}", f"{c.new:g}")
    if not replay.session.changes:
        table.add_row("", "", "(none)", "", "")
    return table


def info_table(replay: Replay) -> Table:
    """The session's facts: status, recipe, data, epochs, device, and any gap found reading it."""
    session = replay.session
    meta = session.meta
    table = Table(show_header=False, box=None, padding=(0, 1), title="session", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    data = meta.get("dataset", {})
    rows = [("session", session.name), ("status", f"{session.status} {meta.get('reason', '')}".strip()),
            ("recipe", f"{meta.get('recipe', {}).get('name', '?')} ({meta.get('recipe', {}).get('kind', '?')}): "
                       f"{meta.get('recipe', {}).get('description', '')}"),
            ("data", f"{data.get('name', '?')}: {data.get('train', '?')} train / {data.get('test', '?')} test"),
            ("epochs", f"{session.epochs_done}/{meta.get('epochs', '?')}, batch {meta.get('batch_size', '?')}"),
            ("device", str(meta.get("device", "?"))), ("created", str(meta.get("created", "")))]
    rows += [("gap", Text(problem, style="yellow")) for problem in session.problems]
    for key, value in rows:
        table.add_row(key, value)
    return table


def params_view(replay: Replay) -> Group:
    """The session's facts, starting and current hyperparameters, and the timeline of changes."""
    meta = replay.session.meta
    start = replay.start_params
    table = Table(title="hyperparameters", title_justify="left")
    for col in ("name", "at start", "at the end"):
        table.add_column(col)
    for key, value in meta.get("params", {}).items():
        table.add_row(key, f"{start.get(key, value):g}", f"{value:g}")
    return Group(info_table(replay), table, changes_table(replay))


def recon_view(replay: Replay, epoch: int, width: int, height: int, ascii: bool = False) -> Text:
    """The fixed test digits over their reconstructions at `epoch`."""
    originals, recon, labels = replay.reconstructions(epoch)
    border = 4 if originals.shape[1] >= 28 else 0
    return digit_rows([originals, recon], width, height, ascii, labels, border)


def sweep_view(replay: Replay, epoch: int, width: int, height: int, ascii: bool = False) -> Text:
    """The decoded latent grid at `epoch`, shrunk to fit."""
    from aetui.core.analysis.images import crop, shrink

    images, columns, how = replay.sweep(epoch)
    border = 4 if images.shape[1] >= 28 else 0
    images = crop(images, border)
    grid_images = images.reshape(len(images) // columns, columns, *images.shape[1:])
    native = images.shape[1]
    for every in range(1, columns):  # thin the grid until its digits are legible (8 pixels or more)
        shown = grid_images[::every, ::every]
        pixels = min(native, width // shown.shape[1], (height - 3) * 2 // shown.shape[0])
        if pixels >= min(8, native):
            break
    pixels = max(4, pixels)
    note = f", every {every} cells" if every > 1 else ""
    text = Text(f"sweep over {how}{note}\n", style="dim")
    text.append_text(grid(shrink(shown.reshape(-1, native, native), pixels, pixels), shown.shape[1], ascii))
    return text


def area_view(replay: Replay, epoch: int, width: int = 80, height: int = 40) -> Group:
    """Latent area share per digit beside its share of the training set, and the map of cells
    (each cell as large as the space allows)."""
    area = replay.area(epoch)
    rows, columns = area["cells"].shape
    cell = max(2, min(8, width // columns) // 2 * 2)
    repeat = max(1, min(cell // 2, (height - 17) // rows))
    table = Table(title=f"latent area share, epoch {epoch} ({area['k']} nearest test codes per cell)",
                  title_justify="left")
    for col in ("class", "area share", "training share", "ratio"):
        table.add_column(col, justify="right")
    for cls, (a, t) in enumerate(zip(area["area"], area["train"])):
        table.add_row(Text(str(cls), style=class_style(cls)), f"{a:.1%}", f"{t:.1%}",
                      f"{a / t:.2f}" if t else "-")
    cells = Text(f"cells by nearest digit ({area['plane']}):\n")
    for row in area["cells"]:
        for line in range(repeat):
            for cls in row:
                label = f"{cls:^{cell}}" if line == repeat // 2 else " " * cell
                cells.append(label, style=f"black on {class_style(int(cls))}")
            cells.append("\n")
    cells.rstrip()
    return Group(table, cells)


def sparsity_view(replay: Replay, epoch: int) -> Group:
    """Sparsity figures over the epochs, and per-unit mean activation at `epoch`."""
    series = replay.sparsity_series()
    table = Table(title="sparsity by epoch", title_justify="left")
    table.add_column("epoch", justify="right")
    for key in series:
        table.add_column(key.replace("_", " "), justify="right")
    for i, e in enumerate(replay.epochs):
        cells = [f"{series[k][i]:.0%}" if k in ("near_zero", "first_two_zero") else f"{series[k][i]:.4g}"
                 for k in series]
        table.add_row(str(e), *cells, style="bold reverse" if e == epoch else None)
    parts: list = [table]
    stats = replay.stats(epoch)
    try:
        snap = replay.snapshot(epoch)
    except AetuiError as err:
        return Group(*parts, Text(f"per-unit figures of epoch {epoch} unavailable: {err}", style="yellow"))
    if "first_two_zero" in stats:
        parts.append(Text(f"At epoch {epoch}, for {stats['first_two_zero']:.0%} of the test digits at least one "
                          "of the first two code units is zero (|a| < 0.01)."))
    means = np.asarray(snap.get("unit_means", []), np.float64)
    if means.size:
        order = np.argsort(means)[::-1]
        p = replay.session.meta.get("params", {}).get("p")
        head = f"per-unit mean activation at epoch {epoch}" + (f" (target p = {p:g})" if p is not None else "")
        parts.append(Text(head + ", most active first: " + " ".join(f"{means[i]:.3g}" for i in order[:16]) +
                          (" …" if len(order) > 16 else "")))
    if "kl_per_dim" in snap:
        parts.append(Text("KL per latent dimension: " + "  ".join(f"{v:.3g}" for v in snap["kl_per_dim"])))
    return Group(*parts)


def scatter_text(points: np.ndarray, labels: np.ndarray, width: int, height: int, how: str) -> Text:
    """A scatter of labelled points as coloured digits on a character grid (one digit per cell)."""
    text = Text(f"{how}\n", style="dim")
    cols, rows, lo, hi = grid_positions(points, width, height - 1)  # the last line holds the ranges
    canvas: list[list[tuple[str, str] | None]] = [[None] * width for _ in range(height - 1)]
    for r, c, lab in zip(rows, cols, labels):
        canvas[r][c] = (str(int(lab) % 10), class_style(int(lab)))
    for row in canvas:
        for cell in row:
            text.append(cell[0], style=cell[1]) if cell else text.append(" ")
        text.append("\n")
    text.append(f"x {lo[0]:.3g} .. {hi[0]:.3g}   y {lo[1]:.3g} .. {hi[1]:.3g}", style="dim")
    return text


def render_view(replay: Replay, view: str, epoch: int, width: int = 100, height: int = 30,
                ascii: bool = False, projection: str = "pca"):
    """The renderable for one view at one epoch."""
    if view == "curves":
        return Group(curves_table(replay, epoch), changes_table(replay))
    if view == "recon":
        return recon_view(replay, epoch, width, height, ascii)
    if view == "scatter":
        points, how = replay.projection(epoch, projection)
        return scatter_text(points, replay.codes(epoch)[1], width, height, f"epoch {epoch}: {how}")
    if view == "sweep":
        return sweep_view(replay, epoch, width, height, ascii)
    if view == "area":
        return area_view(replay, epoch, width, height)
    if view == "sparsity":
        return sparsity_view(replay, epoch)
    return params_view(replay)
