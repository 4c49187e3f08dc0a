"""Sixel pictures whose data is made where it costs the UI nothing: `encode` runs in any thread (the
training thread encodes an epoch's pictures between epochs), and `SixelPicture` only writes the
data it is given. It replaces textual-image's Sixel widget, which encodes in its `render_lines` on
the UI thread and mounts a new child for every image (a layout and a style pass each epoch).

The data is textual-image's encoder's (`image_to_sixels`), mended: it defines each colour register
and draws with it in one command (`#0;2;0;0;0`), which xterm takes as a definition only, drawing
those pixels in whatever colour the register had (green bands where black was meant); a select
command (`#0`) after each definition makes every terminal draw the defined colour.
"""

from __future__ import annotations

import re

import numpy as np
from rich.control import Control
from rich.segment import ControlType, Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.dom import NoScreen
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

_DEFINE = re.compile(r"(#(\d+);2;\d+;\d+;\d+)")
_NULL_STYLE = Style()


def encode(pixels: np.ndarray) -> str:
    """Sixel data of an RGB uint8 image (H x W x 3), drawn at one pixel per pixel."""
    from PIL import Image
    from textual_image._sixel import image_to_sixels

    return _DEFINE.sub(r"\1#\2", image_to_sixels(Image.fromarray(pixels)))


class SixelPicture(Widget):
    """An image (a PIL image, `image`) as Sixel data made beforehand (`sixels`), sized by its styles
    in cells of `cell` pixels. Where only part of it shows (scrolled), that part is encoded here."""

    DEFAULT_CSS = "SixelPicture { width: auto; height: auto; }"

    def __init__(self, cell: tuple[int, int], **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.image = None
        """The PIL image drawn (None: nothing)."""
        self.sixels: str | None = None
        """Its Sixel data, whole."""

    def compose(self) -> ComposeResult:
        yield SixelLines()

    def set(self, image, sixels: str | None) -> None:
        """Draw `image` (PIL, or None) whose whole Sixel data is `sixels`."""
        self.image, self.sixels = image, sixels
        if self.children:
            self.children[0].cropped = None
            self.children[0].refresh()


class SixelLines(Widget, can_focus=False, inherit_css=False):
    """Writes its parent's Sixel data over its region (the lines above the last are left empty)."""

    DEFAULT_CSS = "SixelLines { width: 100%; height: 100%; }"

    def __init__(self):
        super().__init__()
        self.cropped: tuple[Region, str] | None = None
        """The data of the part last shown cropped, for that crop."""

    def render_lines(self, crop: Region) -> list[Strip]:
        parent = self.parent
        try:
            if parent.image is None or not self.screen.is_active:  # (not drawn on a screen underneath)
                return []
        except NoScreen:
            return []
        data = parent.sixels if crop == self.size.region and parent.sixels else self._crop(crop)
        where = self.screen.find_widget(self).visible_region
        segments = [Segment(Control.move_to(where.x, where.y).segment.text, style=_NULL_STYLE),
                    Segment(data, style=_NULL_STYLE, control=((ControlType.CURSOR_FORWARD, 0),)),
                    Segment(Control.move_to(where.right, where.bottom).segment.text, style=_NULL_STYLE)]
        return [Strip([])] * (crop.height - 1) + [Strip(segments, cell_length=crop.width)]

    def _crop(self, crop: Region) -> str:
        """The data of the part of the image in `crop` (cells), encoded here once per crop."""
        if self.cropped is None or self.cropped[0] != crop:
            cw, ch = self.parent.cell
            pixels = np.asarray(self.parent.image)[crop.y * ch:crop.bottom * ch, crop.x * cw:crop.right * cw]
            self.cropped = (crop, encode(np.ascontiguousarray(pixels)) if pixels.size else "")
        return self.cropped[1]
