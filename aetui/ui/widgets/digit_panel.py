"""The live pictures of the train screen: test digits over their reconstructions, and the codes
of a 2-D latent space, each as large as its panel allows (`FigurePane`s)."""

from __future__ import annotations

import numpy as np

from aetui.core.analysis.images import as_images
from aetui.core.analysis.latent import project
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.ui.widgets.picture import space_for
from aetui.views.figures import cropped_side
from aetui.views.show import KEY_CELLS, digits_figure, scatter_figure
from aetui.views.terminal import Graphics

WAITING = "Reconstructions appear after the first epoch."


class DigitPanel(FigurePane):
    """Test digits over their current reconstructions: full size wherever five fit."""

    def __init__(self, graphics: Graphics, **kwargs):
        super().__init__(graphics, fill=True, **kwargs)
        self.native = 20
        """The digits' side in pixels once their empty frame is cropped (known from the first epoch)."""

    def on_mount(self) -> None:
        self.clear(WAITING)

    def show_digits(self, fixed: dict, recon: np.ndarray, noisy: np.ndarray | None = None) -> None:
        """Show the fixed panel over its reconstructions `recon` (stored bytes); with `noisy` (a
        denoiser's inputs), each noisy input over its reconstruction over the clean digit."""
        shape = tuple(int(v) for v in fixed["image_shape"])
        originals, recons = as_images(fixed["panel"], shape), as_images(recon, shape)
        noisy = None if noisy is None else as_images(noisy, shape)
        labels = [str(int(v)) for v in fixed["panel_labels"]]
        self.native = cropped_side(originals)
        pixels = self.graphics.pixels

        def make(columns: int, rows: int):
            return digits_figure(originals, recons, labels, *space_for(columns, rows - 1, self.graphics), pixels,
                                 noisy=noisy)

        self.show(make)

    def wanted(self, columns: int, rows: int, count: int = 10) -> tuple[int, int]:
        """The (columns, rows) the digits take at most in `columns` x `rows` cells (a caption row
        included): what the screen gives the panel."""
        blank = np.zeros((count, self.native, self.native), np.float32)
        figure = digits_figure(blank, blank, [str(i) for i in range(count)],
                               *space_for(columns, rows - 1, self.graphics), self.graphics.pixels)
        cw, ch = self.graphics.cell
        h, w = figure.image.shape[:2]
        return -(-w // cw), -(-h // ch) + 1


class ScatterPane(FigurePane):
    """The test subset's codes by digit (PCA for wider codes), each point placed to the pixel."""

    def __init__(self, graphics: Graphics, **kwargs):
        super().__init__(graphics, fill=True, **kwargs)
        self.points: np.ndarray | None = None
        """The 2-D positions drawn (the codes, or their projection)."""

    def show_codes(self, codes: np.ndarray, labels: np.ndarray) -> None:
        """Draw new codes."""
        points, how = project(codes)
        self.points = points

        def make(columns: int, rows: int):
            key = 0 if self.graphics.pixels else KEY_CELLS  # (in pixels the key is drawn in the picture)
            return scatter_figure(points, labels, how, *space_for(columns - key, rows - 2, self.graphics),
                                  self.graphics.pixels)

        self.show(make)
