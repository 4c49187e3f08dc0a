"""Sparsity figures: mean code activation, near-zero share, dead units, and a histogram against `p`."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widgets import Static

from aetui.core.families.registry import figure_keys
from aetui.ui.widgets.in_place import update_in_place

BLANK = "\u2800"
"""An empty cell that, unlike a space, Textual does not strip at the start of a line."""
BARS = BLANK + "▁▂▃▄▅▆▇█"


def histogram(values: np.ndarray, bins: int, low: float, high: float) -> list[int]:
    """Counts of `values` in `bins` equal bins over [low, high] (values outside land in the end bins)."""
    edges = np.linspace(low, high, bins + 1)
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    return np.bincount(idx, minlength=bins).tolist()


def bar_rows(counts: list[int], rows: int) -> list[str]:
    """Counts as a bar chart `rows` lines tall (eighth blocks at the tops of the bars)."""
    top = max(counts) or 1
    eighths = [int(round(c / top * rows * 8)) for c in counts]
    lines = []
    for row in range(rows - 1, -1, -1):
        lines.append("".join(BARS[min(8, max(0, e - row * 8))] if e > row * 8 else BLANK for e in eighths))
    return lines


class SparsityPanel(Static):
    """Shows the latest epoch's sparsity statistics; `show()` takes them from a run state."""

    shown: tuple | None = None
    """What was drawn last (redrawn for the new size when the panel is resized)."""

    def on_resize(self) -> None:
        if self.shown is not None:
            self.show(*self.shown)

    def show(self, stats: dict | None, snapshot: dict | None, params: dict[str, float], kind: str) -> None:
        """Redraw from an epoch's scalar stats and snapshot arrays; `kind` is the model family.

        Code sparsity figures are shown for the ordinary, sparse and nonnegative autoencoders;
        the VAE shows its active latents and KL per dimension, the AAE its discriminator accuracy.
        """
        self.shown = (stats, snapshot, params, kind)
        if not stats:
            self.update(Text("Sparsity figures appear after the first epoch.", style="dim"))
            return
        labels = {"mean_activation": ("mean code", "{:.4g}"), "near_zero": ("near zero", "{:.0%}"),
                  "l0": ("L0 (units > 0.01)", "{:.1f}"),
                  "dead_units": ("dead units", "{}/" + str(stats.get("units", "?"))),
                  "first_two_zero": ("unit 1 or 2 zero", "{:.0%}"),
                  "active_units": ("active latents", "{}/" + str(stats.get("units", "?"))),
                  "disc_acc": ("disc. accuracy", "{:.0%}")}
        figures = [(labels[k][0], labels[k][1].format(stats[k])) for k in figure_keys(kind) if k in stats]
        text = Text() if figures else Text("No figures for this model yet.", style="dim")
        for i, (label, value) in enumerate(figures):
            text.append("\n" if i else "").append(f"{label} ", "bold").append(value)
        width = max(10, self.size.width - 2)
        if snapshot is not None and "kl_per_dim" in snapshot:
            kl = snapshot["kl_per_dim"]
            text.append("\nKL per latent dim: ", "bold").append("  ".join(f"{v:.3g}" for v in kl[:8]))
        elif snapshot is not None and "unit_means" in snapshot and "mean_activation" in figure_keys(kind):
            means = np.asarray(snapshot["unit_means"], np.float64)
            high = max(float(means.max()), params.get("p", 0.0) * 2, 1e-6)
            counts = histogram(means, width, 0.0, high)
            text.append("\nunit means 0..", "bold").append(f"{high:.3g}")
            rows = max(1, min(8, self.size.height - len(figures) - 3))
            for line in bar_rows(counts, rows):
                text.append("\n" + line, "green")
            if "p" in params:
                pos = min(width - 1, int(params["p"] / high * width))
                text.append("\n" + BLANK * pos + "^ p=" + f"{params['p']:g}", "yellow")
        update_in_place(self, text)
