"""Grayscale images as terminal cells (rich `Text`): half blocks with gray levels, or an ASCII ramp.

Half blocks draw two pixels per cell (`▀`: the upper pixel as foreground, the lower as
background), so a 28x28 digit takes 28 columns and 14 rows. The ASCII ramp uses one character
per pixel horizontally and averages pixel pairs vertically, for terminals without colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text

from aetui.core.analysis.images import crop, shrink

RAMP = " .:-=+*#%@"
CLASS_RGB = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
             (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
"""One colour per class (the tab10 palette), used by every view of classes."""
_GRAYS = [Style(color=f"rgb({g},{g},{g})", bgcolor=f"rgb({h},{h},{h})") for g in range(0, 256, 17)
          for h in range(0, 256, 17)]


def class_style(cls: int) -> str:
    """The rich colour of class `cls`."""
    r, g, b = CLASS_RGB[cls % len(CLASS_RGB)]
    return f"rgb({r},{g},{b})"


def grid_positions(points: np.ndarray, width: int, height: int):
    """Points in a width x height grid of cells, y up: (columns, rows, low corner, high corner)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cols = ((points[:, 0] - lo[0]) / span[0] * (width - 1)).round().astype(int)
    rows = ((hi[1] - points[:, 1]) / span[1] * (height - 1)).round().astype(int)
    return cols, rows, lo, hi


def _gray_style(top: float, bottom: float) -> Style:
    """A cached style for two gray levels in [0, 1], quantised to 16 steps."""
    t = int(round(float(np.clip(top, 0, 1)) * 15))
    b = int(round(float(np.clip(bottom, 0, 1)) * 15))
    return _GRAYS[t * 16 + b]


def image_lines(image: np.ndarray, ascii: bool = False) -> list[Text]:
    """One H x W image in [0, 1] as lines of text (ceil(H / 2) lines, W cells wide)."""
    h, w = image.shape
    if h % 2:
        image = np.vstack([image, np.zeros((1, w), image.dtype)])
    lines = []
    for r in range(0, image.shape[0], 2):
        top, bottom = image[r], image[r + 1]
        line = Text()
        if ascii:
            levels = np.clip(((top + bottom) / 2 * (len(RAMP) - 1)).round().astype(int), 0, len(RAMP) - 1)
            line.append("".join(RAMP[i] for i in levels))
        else:
            for t, b in zip(top, bottom):
                line.append("▀", _gray_style(t, b))
        lines.append(line)
    return lines


@dataclass(frozen=True)
class GridLayout:
    """How a grid of digits fits a space: image size in pixels, columns and rows of images."""

    pixels: int
    columns: int
    rows: int


def fit(count: int, rows_of_images: int, width: int, height: int, native: int, gap: int = 1,
        label_rows: int = 0, smallest: int = 8) -> GridLayout:
    """The layout for `count` images in `rows_of_images` bands within `width` x `height` cells.

    Prefers showing every image in one band at the largest size up to `native` pixels; if they
    do not fit at `smallest` pixels or more, shows as many as fit at `smallest` (fewer, legible
    digits beat many unreadable ones).
    """
    cells = lambda pixels: rows_of_images * (-(-pixels // 2) + label_rows)  # noqa: E731
    for pixels in range(native, smallest - 1, -1):
        columns = (width + gap) // (pixels + gap)
        bands = height // cells(pixels)
        if columns * bands >= count and bands >= 1:
            per_band = min(count, columns)
            return GridLayout(pixels, per_band, -(-count // per_band))
    pixels = min(smallest, native)
    columns = max(1, (width + gap) // (pixels + gap))
    bands = max(1, height // cells(pixels))
    return GridLayout(pixels, columns, bands)


def digit_rows(groups: list[np.ndarray], width: int, height: int, ascii: bool = False,
               labels: list[str] | None = None, border: int = 0) -> Text:
    """Rows of images (each group N x H x W in [0, 1], e.g. originals then reconstructions), fitted to
    `width` x `height` cells; images are cropped by `border` and shrunk as needed."""
    groups = [crop(g, border) for g in groups]
    count = max(len(g) for g in groups)
    native = groups[0].shape[1] * (2 if groups[0].shape[1] < 16 else 1)  # small images may be drawn larger
    layout = fit(count, len(groups), width, height, native, label_rows=1 if labels else 0)
    shown = min(count, layout.columns * layout.rows)
    out = Text()
    for start in range(0, shown, layout.columns):
        for gi, group in enumerate(groups):
            chunk = group[start:min(start + layout.columns, shown)]
            if not len(chunk):
                continue
            small = shrink(chunk, layout.pixels, layout.pixels)
            rendered = [image_lines(img, ascii) for img in small]
            if labels and gi == 0:
                out.append(" ".join(f"{lbl:^{layout.pixels}}"[:layout.pixels]
                                    for lbl in labels[start:start + len(chunk)]) + "\n", "dim")
            for line in range(len(rendered[0])):
                for k, lines in enumerate(rendered):
                    if k:
                        out.append(" ")
                    out.append_text(lines[line])
                out.append("\n")
    out.rstrip()
    return out


def grid(images: np.ndarray, columns: int, ascii: bool = False) -> Text:
    """Images (N x H x W) as a dense grid with `columns` per row and no gaps (a latent sweep)."""
    out = Text()
    for start in range(0, len(images), columns):
        rendered = [image_lines(img, ascii) for img in images[start:start + columns]]
        for line in range(len(rendered[0])):
            for lines in rendered:
                out.append_text(lines[line])
            out.append("\n")
    out.rstrip()
    return out
