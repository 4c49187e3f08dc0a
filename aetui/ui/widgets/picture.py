"""A picture: a figure array (`aetui.views.figures`) drawn as the terminal can, one pixel for one pixel.

Kitty and Sixel graphics draw it in real pixels through textual-image (the image is padded to the
exact pixel size of the cells it takes, so it is not resampled); elsewhere it is half blocks or
ASCII (`aetui.views.render`).
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

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


class Picture(Widget):
    """Shows one image at one pixel per pixel, taking the cells it needs (`show` a new one)."""

    DEFAULT_CSS = "Picture { width: auto; height: auto; }"

    def __init__(self, graphics: Graphics, **kwargs):
        super().__init__(**kwargs)
        self.graphics = graphics
        self.image: np.ndarray | None = None
        self._text = Text()

    def compose(self) -> ComposeResult:
        if self.graphics.pixels:
            yield graphics_widget(self.graphics.mode)()

    def show(self, image: np.ndarray | None, notes: dict | None = None) -> None:
        """Draw `image` (gray or RGB, uint8; None clears it). `notes` (cell row -> [(column, text)])
        are written over the half-block picture (graphics have none)."""
        self.image = image
        columns, rows = cells_for(image, self.graphics) if image is not None else (0, 0)
        self.styles.width, self.styles.height = columns, rows
        if self.graphics.pixels:
            self._send(image, columns, rows)
        else:
            self._text = half_block_text(image, self.graphics.mode == "ascii", notes) if image is not None else Text()
            self.refresh(layout=True)

    def _send(self, image: np.ndarray | None, columns: int, rows: int) -> None:
        """Hand the image to textual-image, padded to whole cells (so it is drawn unscaled)."""
        from PIL import Image

        if not self.children:  # not mounted yet: sent once it is
            self.call_after_refresh(self._send, image, columns, rows)
            return
        child = self.children[0]
        child.styles.width, child.styles.height = columns, rows
        if image is None:
            child.image = None
            return
        w, h = space_for(columns, rows, self.graphics)
        padded = np.zeros((h, w, 3), np.uint8)
        padded[:image.shape[0], :image.shape[1]] = rgb(image)
        child.image = Image.fromarray(padded)

    def render(self) -> Text:
        return Text() if self.graphics.pixels else self._text


def graphics_widget(mode: str):
    """textual-image's widget for `kitty`, or for `sixel` with its colours defined as every Sixel
    terminal reads them (imported only where graphics are drawn)."""
    from textual_image.widget import TGPImage

    return sixel_widget() if mode == "sixel" else TGPImage


_SIXEL_WIDGET = None


def sixel_widget():
    """textual-image's Sixel widget, its data mended: it defines each colour register and draws
    with it in one command (`#0;2;0;0;0`), which xterm takes as a definition only, drawing those
    pixels in whatever colour the register had (green bands where black was meant); a select
    command (`#0`) after each definition makes every terminal draw the defined colour."""
    global _SIXEL_WIDGET
    if _SIXEL_WIDGET is None:
        import re

        from textual_image.widget.sixel import Image as SixelImage
        from textual_image.widget.sixel import _ImageSixelImpl

        define = re.compile(r"(#(\d+);2;\d+;\d+;\d+)")

        class Sixels(_ImageSixelImpl):
            def _image_to_sixels(self, image, sixel_options=None, background=None) -> str:
                return define.sub(r"\1#\2", super()._image_to_sixels(image, sixel_options, background))

        class SixelPicture(SixelImage, Renderable=SixelImage._Renderable):
            def compose(self):
                yield Sixels(self.image, self._sixel_options)

        _SIXEL_WIDGET = SixelPicture
    return _SIXEL_WIDGET
