"""The scatter of codes as pixels: its axes (one scale for x and y, every point inside with a margin)
and its picture, a frame for the axes and each point placed to the pixel in its class colour.

A pixel is square wherever the scatter is drawn (real pixels; half blocks, two a cell of 1:2;
ASCII, where a character cell counts as one pixel wide and two tall), so one unit on x is as long
on screen as one unit on y: a code space that is round looks round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aetui.views.figures import BACKGROUND, class_rgb

FRAME = (90, 90, 90)
"""The colour of the axes' frame (the edge of the plot area)."""
MARGIN = 0.04
"""Room between the outermost points and the frame, as a share of the picture's smaller side."""


@dataclass(frozen=True)
class ScatterAxes:
    """Where a scatter's points go in a `width` x `height` pixel picture: its edges in code units
    (`low` at the left and bottom, `high` at the right and top) and `per_pixel` code units a pixel,
    the same on both axes."""

    low: np.ndarray
    high: np.ndarray
    per_pixel: float
    width: int
    height: int

    def place(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel columns and rows (y up: row 0 at the top) of each point's centre."""
        points = np.asarray(points, np.float64)
        return (points[:, 0] - self.low[0]) / self.per_pixel, (self.high[1] - points[:, 1]) / self.per_pixel

    def words(self) -> str:
        """The axes' ranges in one line, and that their scales agree (1:1)."""
        return f"x {self.low[0]:.3g} … {self.high[0]:.3g}  y {self.low[1]:.3g} … {self.high[1]:.3g}  (1:1)"


def scatter_axes(points: np.ndarray, width: int, height: int, inset: float = 0.0) -> ScatterAxes:
    """The axes for `points` in `width` x `height` pixels: one scale for x and y, as large as lets
    every point lie at least `inset` pixels (a dot's radius, a frame) plus `MARGIN` of the picture's
    smaller side inside its edges; the points centred where one axis has room to spare."""
    points = np.asarray(points, np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    centre, span = (low + high) / 2, high - low
    edge = inset + MARGIN * min(width, height)
    room = np.maximum([width - 1 - 2 * edge, height - 1 - 2 * edge], 1.0)
    per_pixel = float(np.max(span / room))
    if per_pixel <= 0:  # one point, or all in one place: a unit over the smaller side
        per_pixel = 1.0 / float(room.min())
    half = np.array([width - 1, height - 1]) / 2 * per_pixel
    return ScatterAxes(centre - half, centre + half, per_pixel, width, height)


def scatter_image(points: np.ndarray, labels: np.ndarray, width: int, height: int,
                  dot: float = 1.5) -> tuple[np.ndarray, ScatterAxes]:
    """Points coloured by class on a dark `width` x `height` RGB image inside a frame (the axes),
    y up, placed to the pixel by `scatter_axes`; returns the image and its axes.

    Dots of radius `dot` pixels are antialiased (drawn four times larger, then averaged down);
    with `dot` under 1 each point is one pixel in its colour (half blocks, where a pixel is half a
    cell).
    """
    axes = scatter_axes(points, width, height, inset=1 + max(dot, 0.5))
    xs, ys = axes.place(points)
    if dot < 1:
        out = np.zeros((height, width, 3), np.uint8)
        _frame(out)
        out[np.round(ys).astype(int), np.round(xs).astype(int)] = [class_rgb(c) for c in labels]
        return out, axes
    from PIL import Image, ImageDraw

    scale = 4
    img = Image.new("RGB", (width * scale, height * scale), BACKGROUND)
    draw = ImageDraw.Draw(img)
    r = dot * scale
    for x, y, label in zip(xs * scale + scale / 2, ys * scale + scale / 2, labels):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=class_rgb(label))
    out = np.array(img.resize((width, height), Image.Resampling.BOX))
    _frame(out)
    return out, axes


def _frame(image: np.ndarray) -> None:
    """Draw the frame (one pixel) along the image's edges."""
    image[[0, -1], :] = FRAME
    image[:, [0, -1]] = FRAME


def scatter_cells(points: np.ndarray, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray, ScatterAxes]:
    """Each point's character cell (column, row) in a `columns` x `rows` grid of text, to one scale:
    a character cell is twice as tall as wide, so one unit on x takes twice the columns it takes rows."""
    axes = scatter_axes(points, columns, 2 * rows, inset=0.5)
    xs, ys = axes.place(points)
    return np.round(xs).astype(int), np.round(ys).astype(int) // 2, axes
