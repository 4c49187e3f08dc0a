"""The views of a saved session that are pictures, as `Figure`s (no TensorFlow); which views there
are, and which function makes each, is `aetui.views.registry`'s.

A `Figure` is a view's picture (an `aetui.views.figures` array) with the words around it, made for
a space in pixels: `aetui show` prints it in half blocks, the replay and compare screens draw it in
real pixels where the terminal can, and `aetui export` writes the same arrays as PNGs (at their
native size: the `*_png` functions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from aetui.core.errors import AetuiError
from aetui.views import figures, scatter
from aetui.views.render import class_style, half_block_text
from aetui.views.replay import Replay


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
    shown: tuple[int, int] | None = None
    """Of digits over their reconstructions: how many it shows, of how many."""

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


def digits_words(noisy: bool, paired: bool) -> str:
    """What a digits figure shows: test digits and their reconstructions (a denoiser's: its noisy
    inputs, their reconstructions and the clean digits), one over the other or side by side."""
    joint = " beside " if paired else " over "
    return joint.join(("noisy test digits", "their reconstructions", "the clean digits") if noisy
                      else ("test digits", "their reconstructions"))


def digits_figure(originals: np.ndarray, recons: np.ndarray, labels: list[str], width: int, height: int,
                  pixels: bool = False, caption: str = "", noisy: np.ndarray | None = None,
                  prefix: str = "") -> Figure:
    """Digits over their reconstructions in `width` x `height` pixels: full size wherever five fit,
    never under 14 pixels; labelled in half blocks (one text row over each row of digits). With
    `noisy` (a denoiser's inputs), each digit's noisy input over its reconstruction over the clean digit.
    The caption says what it shows (`digits_words`, after `prefix`), unless `caption` is given."""
    native = figures.cropped_side(originals)
    label = 0 if pixels else 2
    layout = figures.digit_layout(len(originals), native * (1 if pixels or native >= 16 else 2), width, height,
                                  label=label, upscale=pixels, stack=2 if noisy is None else 3)
    image = figures.digit_sheet(originals, recons, layout, noisy)
    notes: dict[int, list] = {}
    if label:
        for (top, left), name in zip(figures.label_positions(layout), labels[:layout.shown]):
            notes.setdefault(top // 2, []).append((left + max(0, (layout.pixels - len(name)) // 2), name))
    shown = min(layout.shown, len(originals))
    how = caption or prefix + digits_words(noisy is not None, layout.paired)
    if layout.paired:  # (each reconstruction to the right of its digit: a caption given says so too)
        how = how.replace(" over their ", " beside their ")
    more = f" ({shown} of {len(originals)})" if shown < len(originals) else ""
    return Figure(f"{how}{more}", image, notes, shown=(shown, len(originals)))


def recon_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False,
                 projection: str = "pca") -> Figure:
    """The fixed test digits over their reconstructions at `epoch` (a denoiser's: its noisy inputs
    over their reconstructions over the clean digits; `projection`: none here)."""
    originals, recon, labels = replay.reconstructions(epoch)
    return digits_figure(originals, recon, labels, width, height, pixels, noisy=replay.noisy(epoch),
                         prefix=f"{replay.label(epoch)}: ")


def sweep_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False,
                 projection: str = "pca") -> Figure:
    """The decoded latent grid at `epoch`, as large as `width` x `height` pixels let a square be:
    every cell where each keeps `figures.LEGIBLE` pixels, else the largest n x n that does (said)."""
    images, columns, how = replay.sweep(epoch)
    image, n = figures.sweep_sheet(images, columns, width, height, upscale=pixels)
    cells = f"{n} x {n} of the {columns} x {columns}" if n < columns else f"the {n} x {n}"
    return Figure(f"{replay.label(epoch)}: {cells} sweep over {how}", image)


def area_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False,
                projection: str = "pca") -> Figure:
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
    if pixels:  # the key in the picture too: the terminal's text colours may be fewer than its pixels'
        key = figures.key_image(classes)
        image, axes = scatter.scatter_image(points, labels, max(8, width - key.shape[1]), max(4, height),
                                            dot=max(1.5, min(width, height) / 160))
        padded = np.zeros((max(image.shape[0], key.shape[0]), image.shape[1] + key.shape[1], 3), np.uint8)
        padded[:image.shape[0], :image.shape[1]] = image
        padded[:key.shape[0], image.shape[1]:] = key
        return Figure(how, padded, below=Text(axes.words(), style="dim"))
    key = Text()
    for cls in classes:
        key.append("● ", style=class_style(cls)).append(f"{cls}\n")
    key.rstrip()
    image, axes = scatter.scatter_image(points, labels, max(8, width), max(4, height), dot=0.5)
    return Figure(how, image, side=key, below=Text(axes.words(), style="dim"))


def codes_figure(replay: Replay, epoch: int, width: int, height: int, pixels: bool = False,
                 projection: str = "pca") -> Figure:
    """The labelled subset's codes at `epoch`, projected to 2-D by `projection` (`pca`, `tsne`)."""
    points, how = replay.projection(epoch, projection)
    return scatter_figure(points, replay.codes(epoch)[1], f"{replay.label(epoch)}: {how}", width, height, pixels)


def codes_text(replay: Replay, epoch: int, width: int, height: int, projection: str = "pca") -> Text:
    """The scatter for terminals without colour (`scatter_text`)."""
    points, how = replay.projection(epoch, projection)
    return scatter_text(points, replay.codes(epoch)[1], width, height, f"{replay.label(epoch)}: {how}")


KEY_CELLS = 5
"""Columns the scatter's key takes beside it."""


def scatter_text(points: np.ndarray, labels: np.ndarray, width: int, height: int, how: str) -> Text:
    """A scatter for terminals without colour: each point as its digit on a grid of characters."""
    points = np.asarray(points, np.float64)
    text = Text(f"{how}\n", style="dim")
    cols, rows, axes = scatter.scatter_cells(points, width, height - 1)
    canvas = [[" "] * width for _ in range(height - 1)]
    for r, c, lab in zip(rows, cols, labels):
        canvas[r][c] = str(int(lab) % 10)
    text.append("\n".join("".join(row) for row in canvas) + "\n")
    text.append(axes.words().replace("…", ".."), style="dim")
    return text


def two_d(replay: Replay, epoch: int) -> bool:
    """True where the session's code is 2-D (the latent area shares need one)."""
    return replay.codes(epoch)[0].shape[1] == 2


SCATTER_PIXELS = 480
"""The side of an exported scatter."""
LEGEND_WIDTH = 56
"""Pixels to the right of an exported scatter for its key (`figures.key_image`)."""
CAPTION_HEIGHT = 16
"""Pixels over an exported picture for its caption (`figures.with_caption`)."""


def digits_png(replay: Replay, epoch: int) -> np.ndarray:
    """The test digits over their reconstructions (a denoiser's: its noisy inputs over their
    reconstructions over the clean digits), one pixel per stored pixel."""
    originals, recons, _ = replay.reconstructions(epoch)
    noisy = replay.noisy(epoch)
    layout = figures.DigitLayout(figures.cropped_side(originals), len(originals), 1, stack=2 if noisy is None else 3)
    return figures.digit_sheet(originals, recons, layout, noisy)


def sweep_png(replay: Replay, epoch: int) -> np.ndarray:
    """The decoded sweep, each image at its native size (that of the test digits)."""
    originals, _, _ = replay.reconstructions(epoch)
    images, columns, _ = replay.sweep(epoch)
    return figures.sweep_sheet(images, columns, columns * figures.cropped_side(originals))[0]


def scatter_png(replay: Replay, epoch: int) -> np.ndarray:
    """The subset's codes (PCA) in the class colours, with the key and a line saying what the axes are."""
    points, how = replay.projection(epoch)
    labels = replay.fixed["subset_labels"]
    return figures.with_caption(scatter.scatter_image(points, labels, SCATTER_PIXELS, SCATTER_PIXELS)[0],
                                f"epoch {epoch}: {how}", figures.key_image(np.unique(labels).astype(int).tolist()))


def area_png(replay: Replay, epoch: int) -> np.ndarray:
    """The map of the latent plane's cells, coloured by their nearest digit."""
    area = replay.area(epoch)
    return figures.with_caption(figures.area_map(area["cells"], 24),
                                f"epoch {epoch}: cells by nearest digit ({area['plane']})")
