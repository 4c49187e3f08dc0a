"""The labelled test subset in code space, coloured by class, with the projection named."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from aetui.core.analysis.latent import pca

CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
"""One colour per class (the tab10 palette), used by every view of classes."""


def project(codes: np.ndarray) -> tuple[np.ndarray, str]:
    """2-D positions of codes and how they were made: the codes themselves if 2-D, else PCA."""
    codes = np.asarray(codes, np.float64)
    if codes.shape[1] == 2:
        return codes, "code units 1 and 2"
    if codes.shape[1] == 1:
        return np.hstack([codes, np.zeros_like(codes)]), "code unit 1"
    return pca(codes, 2)[2], "PCA of the code (first two components)"


class LatentScatter(PlotextPlot):
    """Scatter of codes by label; wider codes are projected by PCA and say so in the title."""

    def show(self, codes: np.ndarray, labels: np.ndarray) -> None:
        """Redraw with new codes."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        points, how = project(codes)
        for cls in np.unique(labels):
            mask = labels == cls
            plt.scatter(points[mask, 0].tolist(), points[mask, 1].tolist(), marker="dot",
                        color=CLASS_COLOURS[int(cls) % len(CLASS_COLOURS)], label=str(int(cls)))
        plt.title(how)
        self.refresh()
