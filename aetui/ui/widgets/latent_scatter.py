"""The labelled test subset in code space, coloured by class, with the projection named."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from aetui.core.analysis.latent import project
from aetui.render import CLASS_RGB, class_style

SMALL = 12
"""Below this many rows the scatter drops its title, axes and ticks: only the points are left."""


class LatentScatter(PlotextPlot):
    """Scatter of codes by label; wider codes are projected by PCA and say so in the title."""

    legend = ""
    """Rich markup: each class in its colour (shown by the screen around the plot)."""
    drawn: tuple | None = None
    """What was drawn last (points, labels, how, small): redrawn when a resize crosses `SMALL`."""

    def show(self, codes: np.ndarray, labels: np.ndarray) -> None:
        """Redraw with new codes (projected to 2-D by PCA if wider)."""
        points, how = project(codes)
        self.show_points(points, labels, how)

    def show_points(self, points: np.ndarray, labels: np.ndarray, how: str) -> None:
        """Redraw with 2-D points, titled with how they were made."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        small = bool(self.size.height) and self.size.height < SMALL
        self.drawn = (points, labels, how, small)
        for cls in np.unique(labels):
            mask = labels == cls
            plt.scatter(points[mask, 0].tolist(), points[mask, 1].tolist(), marker="braille" if small else "dot",
                        color=CLASS_RGB[int(cls) % len(CLASS_RGB)])
        if small:  # every row for the points; the frame says the rest
            plt.frame(False)
            plt.xticks([])
            plt.yticks([])
        else:
            plt.title(how)
        self.legend = " ".join(f"[{class_style(int(c))}]● {int(c)}[/]" for c in np.unique(labels))
        self.refresh()

    def on_resize(self) -> None:
        if self.drawn is not None and (bool(self.size.height) and self.size.height < SMALL) != self.drawn[3]:
            self.show_points(*self.drawn[:3])
