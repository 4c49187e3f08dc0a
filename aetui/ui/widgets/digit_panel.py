"""Test digits over their reconstructions, fitted to the space the widget has."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widget import Widget

from aetui.core.analysis.images import as_images
from aetui.render import digit_rows


class DigitPanel(Widget):
    """Originals (top) over reconstructions (bottom); redraws to fit on resize."""

    DEFAULT_CSS = "DigitPanel { height: 1fr; }"

    def __init__(self, ascii: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.ascii = ascii
        self.groups: list[np.ndarray] = []
        self.labels: list[str] = []

    def show(self, fixed: dict, recon: np.ndarray) -> None:
        """Show the fixed panel and its reconstructions."""
        shape = tuple(int(v) for v in fixed["image_shape"])
        self.groups = [as_images(fixed["panel"], shape), as_images(recon, shape)]
        self.labels = [str(int(v)) for v in fixed["panel_labels"]]
        self.refresh()

    def render(self) -> Text:
        if not self.groups:
            return Text("Reconstructions appear after the first epoch.", style="dim")
        border = 4 if self.groups[0].shape[1] >= 28 else 0
        return digit_rows(self.groups, self.size.width, self.size.height, self.ascii, self.labels, border)
