"""The labelled test subset in code space, coloured by class, with the projection named."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from aetui.core.analysis.latent import project
from aetui.render import CLASS_RGB, class_style



class LatentScatter(PlotextPlot):
    """Scatter of codes by label; wider codes are projected by PCA and say so in the title."""

    legend = ""
    """Rich markup: each class in its colour (shown by the screen around the plot)."""

    def show(self, codes: np.ndarray, labels: np.ndarray) -> None:
        """Redraw with new codes (projected to 2-D by PCA if wider)."""
        points, how = project(codes)
        self.show_points(points, labels, how)

    def show_points(self, points: np.ndarray, labels: np.ndarray, how: str) -> None:
        """Redraw with 2-D points, titled with how they were made."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        for cls in np.unique(labels):
            mask = labels == cls
            plt.scatter(points[mask, 0].tolist(), points[mask, 1].tolist(), marker="dot",
                        color=CLASS_RGB[int(cls) % len(CLASS_RGB)])
        plt.title(how)
        self.legend = " ".join(f"[{class_style(int(c))}]● {int(c)}[/]" for c in np.unique(labels))
        self.refresh()
