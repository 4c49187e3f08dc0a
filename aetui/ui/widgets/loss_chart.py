"""The loss chart: train loss per batch, validation loss and loss parts per epoch, change markers."""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from aetui.core.runstate import RunState

COLOURS = {"loss": (80, 200, 255), "val_loss": (255, 200, 60), "recon": (90, 220, 120), "kl": (230, 100, 230),
           "sparsity": (230, 100, 230), "l1": (230, 100, 230), "l2": (120, 140, 255), "nonneg": (120, 140, 255),
           "disc": (255, 90, 90), "gen": (200, 200, 200)}
"""An RGB colour per curve, used by the chart and by its legend alike."""
OTHER = (170, 170, 170)


def markup(name: str) -> str:
    """The curve's name in its colour, as rich markup."""
    r, g, b = COLOURS.get(name, OTHER)
    return f"[rgb({r},{g},{b})]━ {name}[/]"


class LossChart(PlotextPlot):
    """Plots a `RunState`'s curves; `log_scale` switches the y axis to a log scale."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale = False
        self.legend = ""
        """Rich markup naming each drawn curve in its colour (shown by the screen around the chart)."""

    def show(self, state: RunState, mark: float | None = None) -> None:
        """Redraw from the state (call at a bounded rate; the cost is in rendering); `mark` draws a
        vertical line at that epoch (the replay's chosen epoch)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        series = state.series()
        drawn: list[str] = []
        low, high = math.inf, -math.inf
        for name, (xs, ys) in series.items():
            if name.startswith("val_") and name != "val_loss":
                continue  # parts are charted for training only, to keep the chart readable
            points = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y) and (y > 0 or not self.log_scale)]
            if not points:
                continue
            values = [math.log10(p[1]) if self.log_scale else p[1] for p in points]
            low, high = min(low, *values), max(high, *values)
            plt.plot([p[0] for p in points], values, color=COLOURS.get(name, OTHER), marker="braille")
            drawn.append(name)
        for x in state.change_positions():
            plt.vline(x, (255, 60, 60))
        if mark is not None:
            plt.vline(mark, (255, 255, 255))
        if self.log_scale and drawn:
            # The log is taken here, not by plotext, whose log axis is applied again at every redraw.
            decades = range(math.floor(low), math.ceil(high) + 1)
            plt.yticks(list(decades), [f"{10.0 ** d:g}" for d in decades])
        plt.xlabel("epoch")
        self.legend = " ".join(markup(n) for n in drawn) + \
            (" [red]│ change[/]" if state.changes else "") + (" · log y" if self.log_scale else "")
        self.refresh()
