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

    def show_digits(self, fixed: dict, recon: np.ndarray, noisy: np.ndarray | None = None,
                    data: object = None) -> None:
        """Show the fixed panel over its reconstructions `recon` (stored bytes); with `noisy` (a
        denoiser's inputs), each noisy input over its reconstruction over the clean digit. `data`
        (the snapshot they come from) takes the figure `prepare_digits` made of it, if any."""
        shape = tuple(int(v) for v in fixed["image_shape"])
        self.native = cropped_side(as_images(fixed["panel"], shape))
        self.show(self.maker(fixed, recon, noisy), data)

    def prepare_digits(self, fixed: dict, recon: np.ndarray, noisy: np.ndarray | None, data: object) -> None:
        """Make the figure `show_digits` of the same `data` will show, ahead (in another thread)."""
        self.prepare(self.maker(fixed, recon, noisy), data)

    def maker(self, fixed: dict, recon: np.ndarray, noisy: np.ndarray | None):
        """`make(columns, rows)`: the digits figure of these arrays for that space."""
        shape = tuple(int(v) for v in fixed["image_shape"])
        originals, recons = as_images(fixed["panel"], shape), as_images(recon, shape)
        noisy = None if noisy is None else as_images(noisy, shape)
        labels = [str(int(v)) for v in fixed["panel_labels"]]
        graphics = self.graphics

        def make(columns: int, rows: int):
            return digits_figure(originals, recons, labels, *space_for(columns, rows - 1, graphics), graphics.pixels,
                                 noisy=noisy)

        return make

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

    def show_codes(self, codes: np.ndarray, labels: np.ndarray, data: object = None) -> None:
        """Draw new codes (`data`: the snapshot they come from, whose figure `prepare_codes` may have made)."""
        self.show(self.maker(codes, labels), data)

    def prepare_codes(self, codes: np.ndarray, labels: np.ndarray, data: object) -> None:
        """Make the figure `show_codes` of the same `data` will show, ahead (in another thread)."""
        self.prepare(self.maker(codes, labels), data)

    def maker(self, codes: np.ndarray, labels: np.ndarray):
        """`make(columns, rows)`: the scatter figure of these codes for that space."""
        points, how = project(codes)
        self.points = points  # (the projected codes drawn: tests hold them inside the axes)
        graphics = self.graphics

        def make(columns: int, rows: int):
            key = 0 if graphics.pixels else KEY_CELLS  # (in pixels the key is drawn in the picture)
            return scatter_figure(points, labels, how, *space_for(columns - key, rows - 2, graphics), graphics.pixels)

        return make
