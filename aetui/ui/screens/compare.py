"""Compare: two or more sessions side by side at a matching epoch."""

from __future__ import annotations

import math

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from aetui.core.analysis.sparsity import figure_keys
from aetui.core.replay import Replay, step_epoch
from aetui.core.sessions import Session
from aetui.core.sweep import Sweep, progress, ranking
from aetui.render import CLASS_RGB
from aetui.show import recon_view
from aetui.ui.widgets.loss_chart import decade_ticks, scaled


def flat_settings(replay: Replay) -> dict[str, str]:
    """A session's settings as `section.key` -> text: recipe, starting and final hyperparameters, data."""
    meta = replay.session.meta
    recipe = meta.get("recipe", {})
    out = {"recipe": str(recipe.get("name", "?")), "kind": str(recipe.get("kind", "?")),
           "data": str(meta.get("dataset", {}).get("name", "?")), "epochs": str(meta.get("epochs", "?")),
           "batch_size": str(meta.get("batch_size", "?"))}
    for section in ("net", "loss"):
        out.update({f"{section}.{k}": str(v) for k, v in recipe.get(section, {}).items()})
    start = replay.start_params
    for key, value in meta.get("params", {}).items():
        out[key] = f"{start.get(key, value):g}" + (f" → {value:g}" if start.get(key, value) != value else "")
    return out


def settings_diff(replays: list[Replay]) -> Table:
    """Every setting in a row per key, one column per session; differing rows first and bold."""
    settings = [flat_settings(r) for r in replays]
    keys = list(dict.fromkeys(k for s in settings for k in s))
    table = Table("setting", *[r.session.name for r in replays], title="settings (differences first)",
                  title_justify="left")
    differ = [k for k in keys if len({s.get(k, "-") for s in settings}) > 1]
    for key in differ + [k for k in keys if k not in differ]:
        table.add_row(key, *[s.get(key, "-") for s in settings], style="bold" if key in differ else "dim")
    return table


def figures_table(replays: list[Replay], epoch: int) -> Table:
    """Final losses and sparsity figures of each session at `epoch`, best validation loss first."""
    kinds = [r.session.meta.get("recipe", {}).get("kind", "ae") for r in replays]
    figures = list(dict.fromkeys(k for kind in kinds for k in figure_keys(kind)))
    table = Table("session", "val_loss", "loss", *[f.replace("_", " ") for f in figures],
                  title=f"at epoch {epoch}", title_justify="left")
    rows = []
    for r in replays:
        e = r.session.epochs[r.epochs.index(epoch)] if epoch in r.epochs else None
        logs, stats = (e.logs, e.stats) if e else ({}, {})
        cells = [f"{stats[f]:.4g}" if f in stats else "-" for f in figures]
        rows.append((logs.get("val_loss", math.inf), r.session.name, logs, cells))
    for _, name, logs, cells in sorted(rows, key=lambda row: row[0]):
        table.add_row(name, f"{logs.get('val_loss', math.nan):.4g}", f"{logs.get('loss', math.nan):.4g}", *cells)
    return table


def sweep_table(sweep: Sweep, trials: list[Session]) -> Table:
    """Each trial's final losses and figures by its hyperparameter values, best first."""
    columns, rows = ranking(trials, list(sweep.grid))
    table = Table(*[c.replace("_", " ") for c in columns], title=f"sweep {sweep.name}: final epoch of each "
                  "trial, best validation loss first", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    for i, row in enumerate(rows):
        table.add_row(*row, style="bold" if i == 0 else None)
    return table


class CompareScreen(Screen):
    """Curves overlaid, settings diffed, reconstructions and figures at matching epochs."""

    BINDINGS = [
        Binding("left", "step(-1)", "epoch -1", priority=True),
        Binding("right", "step(1)", "epoch +1", priority=True),
        *[Binding(str(i + 1), f"tab('{t}')", show=False) for i, t in enumerate(("curves", "settings", "recon",
                                                                               "figures"))],
        Binding("l", "log_scale", "log y"),
        Binding("escape", "app.pop_screen", "back"),
    ]

    def __init__(self, sessions: list[Session], sweep: Sweep | None = None):
        super().__init__()
        self.sweep = sweep
        """Set when comparing a whole sweep: the figures tab ranks its trials by their values."""
        self.replays = [Replay(s) for s in sessions]
        self.shared = sorted(set.intersection(*(set(r.epochs) for r in self.replays))) or [0]
        self.epoch = self.shared[-1]
        self.log_scale = False

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with TabbedContent(id="tabs"):
            with TabPane("1 curves", id="tab-curves"), Vertical(id="compare-chart-box"):
                yield PlotextPlot(id="compare-chart")
            with TabPane("2 settings", id="tab-settings"), VerticalScroll():
                yield Static(settings_diff(self.replays))
            with TabPane("3 reconstructions", id="tab-recon"), VerticalScroll():
                yield Static(id="compare-recon")
            with TabPane("4 sweep" if self.sweep else "4 figures", id="tab-figures"), VerticalScroll():
                yield Static(id="compare-figures")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tabs").can_focus = False
        self.draw_curves()
        self.show()

    def draw_curves(self) -> None:
        """Validation (and training) loss of every session on one chart, a colour per session."""
        chart = self.query_one("#compare-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        legend, plotted = [], []
        for i, r in enumerate(self.replays):
            colour = CLASS_RGB[i % len(CLASS_RGB)]
            xs = [float(e.epoch) for e in r.session.epochs]
            for key, marker in (("val_loss", "braille"), ("loss", "dot")):
                px, py = scaled([(x, e.logs.get(key, math.nan)) for x, e in zip(xs, r.session.epochs)],
                                self.log_scale)
                if px:
                    plt.plot(px, py, color=colour, marker=marker)
                    plotted += py
            legend.append(f"[rgb({colour[0]},{colour[1]},{colour[2]})]━ {r.session.name}[/]")
        if self.log_scale:
            decade_ticks(plt, plotted)
        plt.title("validation loss (lines) and training loss (dots)" + (", log y (l)" if self.log_scale else ""))
        plt.xlabel("epoch")
        self.query_one("#compare-chart-box").border_subtitle = "  ".join(legend)
        chart.refresh()

    def show(self) -> None:
        """Redraw the per-epoch views at `self.epoch`."""
        names = ", ".join(r.session.name for r in self.replays)
        if self.sweep is not None:
            trials = [r.session for r in self.replays]
            names = f"sweep [b]{self.sweep.name}[/b] of {self.sweep.recipe} ({progress(self.sweep, trials)})"
        self.query_one("#status", Static).update(
            f"comparing {len(self.replays)}: {names} · epoch [b]{self.epoch}[/b] "
            f"(shared {self.shared[0]}..{self.shared[-1]}, ←/→)")
        width = max(self.size.width - 4, 40)
        parts = []
        for r in self.replays:
            parts.append(Text(r.session.name, style="bold"))
            parts.append(recon_view(r, self.epoch, width, 12, self.app.ascii) if self.epoch in r.epochs
                         else Text("(no such epoch)", style="dim"))
        self.query_one("#compare-recon", Static).update(Group(*parts))
        if self.sweep is not None:
            self.query_one("#compare-figures", Static).update(sweep_table(self.sweep, [r.session for r in self.replays]))
        else:
            self.query_one("#compare-figures", Static).update(figures_table(self.replays, self.epoch))

    def action_step(self, delta: int) -> None:
        self.epoch = step_epoch(self.shared, self.epoch, delta)
        self.show()

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.draw_curves()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
