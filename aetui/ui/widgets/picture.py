"""A picture: a figure array (`aetui.views.figures`) drawn as the terminal can, one pixel for one pixel.

Kitty and Sixel graphics draw it in real pixels (the image is padded to the exact pixel size of the
cells it takes, so it is not resampled): Sixel by `sixel.SixelPicture`, Kitty by textual-image;
elsewhere it is half blocks or ASCII (`aetui.views.render`). What is drawn (the text, the padded
image, its Sixel data) is a `Drawing`, which any thread can make: the training thread makes each
epoch's between epochs, so the UI thread only hands it on.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.css.scalar import Scalar
from textual.widget import Widget

from aetui.ui.widgets.sixel import SixelPicture
from aetui.views.figures import LARGEST
from aetui.views.render import half_block_text, rgb
from aetui.views.terminal import Graphics


def cells_for(image: np.ndarray, graphics: Graphics) -> tuple[int, int]:
    """(columns, rows) an image takes."""
    h, w = image.shape[:2]
    cw, ch = graphics.cell
    return -(-w // cw), -(-h // ch)


def space_for(columns: int, rows: int, graphics: Graphics) -> tuple[int, int]:
    """(width, height) in pixels of `columns` x `rows` cells (in real pixels, `figures.LARGEST` at most)."""
    cw, ch = graphics.cell
    width, height = max(columns, 0) * cw, max(rows, 0) * ch
    return (min(width, LARGEST), min(height, LARGEST)) if graphics.pixels else (width, height)


class Drawing:
    """What a picture draws, made from its image in any thread (`drawing`), so the UI thread only
    hands it on: the half-block (or ASCII) text, or the image padded to whole cells (so it is
    drawn unscaled) with its Sixel data."""

    def __init__(self, image: np.ndarray | None, graphics: Graphics, notes: dict | None = None,
                 picture: Widget | None = None):
        self.image = image
        self.cells = cells_for(image, graphics) if image is not None else (0, 0)
        self.text = Text()
        self.lines: tuple | None = None
        """(style, lines): the text as Textual's lines for `picture` in its style then (made ahead)."""
        self.padded: np.ndarray | None = None
        self.sixels: str | None = None
        if image is None:
            return
        if not graphics.pixels:
            self.text = half_block_text(image, graphics.mode == "ascii", notes)
            if picture is not None:  # (Textual's conversion of the text costs as much as making it)
                from textual.visual import Visual, visualize

                style = picture.visual_style
                self.lines = (style, Visual.to_strips(picture, visualize(picture, self.text, markup=False),
                                                      *self.cells, style))
            return
        w, h = space_for(*self.cells, graphics)
        self.padded = np.zeros((h, w, 3), np.uint8)
        self.padded[:image.shape[0], :image.shape[1]] = rgb(image)
        if graphics.mode == "sixel":
            from aetui.ui.widgets.sixel import encode

            self.sixels = encode(self.padded)


class Picture(Widget):
    """Shows one image at one pixel per pixel, taking the cells it needs (`show` a new one)."""

    DEFAULT_CSS = "Picture { width: auto; height: auto; }"

    def __init__(self, graphics: Graphics, **kwargs):
        super().__init__(**kwargs)
        self.graphics = graphics
        self.image: np.ndarray | None = None
        self._text = Text()
        self._lines: tuple | None = None

    def compose(self) -> ComposeResult:
        if self.graphics.pixels:
            yield graphics_widget(self.graphics)

    def show(self, image: np.ndarray | None, notes: dict | None = None, drawing: Drawing | None = None) -> None:
        """Draw `image` (gray or RGB, uint8; None clears it). `notes` (cell row -> [(column, text)])
        are written over the half-block picture (graphics have none). `drawing`: the image's
        `Drawing`, where it was made already (else it is made here)."""
        if drawing is None or drawing.image is not image:
            drawing = Drawing(image, self.graphics, notes)
        self.image = image
        columns, rows = drawing.cells
        resized = (self.styles.width, self.styles.height) != (Scalar.from_number(columns),
                                                               Scalar.from_number(rows))
        self.styles.width, self.styles.height = columns, rows
        if self.graphics.pixels:
            self._send(drawing)
        else:
            self._text, self._lines = drawing.text, drawing.lines
            self.refresh(layout=resized)

    def _render_content(self) -> None:
        """Textual's rendering of the lines (`Widget._render_content`), or those made ahead with the
        drawing where they are for this size and style."""
        lines = self._lines
        if lines is None or tuple(self.size) != tuple(self.styles_cells()) or lines[0] != self.visual_style:
            return super()._render_content()
        from textual.widget import _RenderCache

        self._render_cache = _RenderCache(self.size, lines[1])
        self._dirty_regions.clear()

    def styles_cells(self) -> tuple[int, int]:
        """(columns, rows) the drawing shown takes."""
        return cells_for(self.image, self.graphics) if self.image is not None else (0, 0)

    def _send(self, drawing: Drawing) -> None:
        """Hand the padded image to the graphics widget (textual-image's for Kitty)."""
        from PIL import Image

        if not self.children:  # not mounted yet: sent once it is
            self.call_after_refresh(self._send, drawing)
            return
        child = self.children[0]
        child.styles.width, child.styles.height = drawing.cells
        image = None if drawing.padded is None else Image.fromarray(drawing.padded)
        if isinstance(child, SixelPicture):
            child.set(image, drawing.sixels)
        else:
            child.image = image

    def render(self) -> Text:
        return Text() if self.graphics.pixels else self._text


def graphics_widget(graphics: Graphics) -> Widget:
    """The widget that draws real pixels: ours for Sixel (`sixel.SixelPicture`, its data made
    ahead), textual-image's for Kitty (imported only where graphics are drawn)."""
    if graphics.mode == "sixel":
        return SixelPicture(graphics.cell)
    from textual_image.widget import TGPImage

    return TGPImage()
