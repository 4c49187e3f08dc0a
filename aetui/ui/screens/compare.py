"""Compare: two or more sessions side by side at a matching epoch."""

from __future__ import annotations

import os

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.widgets import Footer, Static, TabbedContent, TabPane

from aetui.core import ranking as rank
from aetui.core.families.registry import figure_keys
from aetui.core.store.sessions import Session
from aetui.core.sweeps.standings import (
    SORT_DEFAULT,
    figures_at,
    ordered,
    progress,
    ranking,
    sort_choices,
)
from aetui.core.sweeps.sweep import Sweep
from aetui.ui.screens.base import WorkbenchScreen
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.ui.widgets.compare_chart import CompareChart, look_text
from aetui.ui.widgets.picture import space_for
from aetui.ui.workbench import Workbench
from aetui.views import formats
from aetui.views.figures import FEWEST
from aetui.views.replay import Replay, step_epoch
from aetui.views.show import recon_figure


RANK_KEYS = [rank.KEYS[by] for by in rank.CHOICES]
"""The per-pixel test errors, the figures sessions of any family are ranked by (first columns)."""


def short_names(names: list[str]) -> list[str]:
    """The names without the start they share (up to a `-` or `_`), so what tells them apart shows:
    `sparse-kl-sweep-beta0.1` and `sparse-kl-sweep-beta3` read `beta0.1` and `beta3`."""
    if len(names) < 2:
        return list(names)
    common = os.path.commonprefix(names)
    cut = max(common.rfind("-"), common.rfind("_")) + 1
    return [name[cut:] or name for name in names]


def flat_settings(replay: Replay) -> dict[str, str]:
    """A session's settings as `section.key` -> text: recipe, starting and final hyperparameters, data."""
    meta = replay.session.meta
    out = {"recipe": meta.recipe_name, "kind": meta.kind,
           "data": meta.dataset_name, "epochs": str(meta.epochs), "batch_size": str(meta.batch_size)}
    for section in ("net", "loss"):
        out.update({f"{section}.{k}": str(v) for k, v in meta.recipe_section(section).items()})
    start = replay.start_params
    for key, value in meta.params.items():
        first = start.get(key, value)
        out[key] = formats.param(first) + (f" → {formats.param(value)}" if first != value else "")
    return out


def settings_diff(replays: list[Replay], names: list[str], everything: bool = False) -> Table:
    """The settings in a row per key, one column per session, those that differ first and bold: by
    default only those that differ or matter to the sessions' families (`conventions.settings_that_matter`),
    with `everything` every one."""
    from aetui.core.conventions import settings_that_matter

    settings = [flat_settings(r) for r in replays]
    keys = list(dict.fromkeys(k for s in settings for k in s))
    differ = [k for k in keys if len({s.get(k, "-") for s in settings}) > 1]
    matter = set().union(*(settings_that_matter(r.session.meta.recipe) for r in replays))
    same = [k for k in keys if k not in differ and (everything or k in matter)]
    left = len(keys) - len(differ) - len(same)
    title = "every setting, differences first (d: those that differ or matter)" if everything else \
        f"settings that differ or matter to these models (d: all{f', {left} more' if left else ''})"
    table = Table("setting", title=title, title_justify="left")
    for i, name in enumerate(names):
        table.add_column(look_text(i, name))
    for key in differ + same:
        table.add_row(Text(key), *[Text(s.get(key, "-")) for s in settings], style="bold" if key in differ else "dim")
    if not differ + same:
        table.add_row("(none: the settings are the same)", *[""] * len(names))
    return table


def figures_table(replays: list[Replay], names: list[str], epoch: int, sort: str = SORT_DEFAULT) -> Table:
    """The per-pixel test errors, each session's own objective, sparsity and evaluated figures at
    `epoch`, best `sort` first; every figure written whole (headers wrap where the screen is
    narrow, a number never does)."""
    from aetui.core.analysis.evaluation import METRICS

    kinds = [r.session.meta.kind for r in replays]
    figures = [figures_at(r.session, epoch) for r in replays]
    known = set().union(*figures)
    stats = list(dict.fromkeys(k for kind in kinds for k in figure_keys(kind)))
    evaluated = [k for k in METRICS if k in known and k not in stats and k not in rank.EVALUATED.values()]
    keys = [*RANK_KEYS, "val_loss", "loss", *stats, *evaluated]
    rows = [(look_text(i, name), [formats.stat(k, f.get(k)) for k in keys]) for i, (name, f) in enumerate(zip(names,
                                                                                                          figures))]
    rows = ordered(rows, figures, sort)
    same = rank.objectives_comparable([r.session.meta.recipe for r in replays])
    table = Table(title=f"at epoch {epoch}, best {formats.header(sort)} first (o: order by another figure); val "
                        "and train loss: each session's own objective" +
                        ("" if same else ", not comparable here (their losses differ)"),
                  title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("session", min_width=min(14, max(len(n) + 2 for n in names)), overflow="fold")
    for i, key in enumerate(keys):
        table.add_column(formats.header(key), overflow="fold", min_width=max(len(row[1][i]) for row in rows))
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def sweep_table(sweep: Sweep, trials: list[Session], sort: str = SORT_DEFAULT, width: int = 0) -> Table:
    """Each trial's final losses and figures by its hyperparameter values, best `sort` first; in
    `width` columns where it can be, every column kept, its figures losing decimals first."""
    columns, rows = ranking(trials, list(sweep.grid), sort)
    table = Table(*[formats.header(c) for c in columns], title=f"sweep {sweep.name}: final epoch of each "
                  f"trial, best {formats.header(sort)} first (o: order by another figure)", title_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    cells = [[formats.param(v) if c in sweep.grid and v is not None else str(v) if c in ("status", "epochs")
              else formats.stat(c, v) for c, v in zip(columns, row)] for row in rows]
    if width and cells:
        cells = formats.fit_table(cells, list(range(len(sweep.grid) + 2, len(columns))), width - 2, gap=2,
                                  headers=[formats.header(c) for c in columns])
    for i, column in enumerate(table.columns):  # a figure is written whole: where it cannot be shorter, it scrolls
        column.min_width, column.overflow = max([len(row[i]) for row in cells] + [1]), "fold"
    for i, row in enumerate(cells):
        table.add_row(*row, style="bold" if i == 0 else None)
    return table


VIEWS_KEYS = Binding.Group("view")
"""The views' keys, listed together in the footer (the tabs name each)."""


class CompareScreen(WorkbenchScreen):
    """Curves overlaid, settings diffed, reconstructions and figures at matching epochs."""

    HELP_TITLE = "Compare: keys"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", tooltip="back"),
        Binding("question_mark,f1", "help", "help", tooltip="this help"),
        Binding("left", "step(-1)", "epoch -1", priority=True, tooltip="previous shared epoch"),
        Binding("right", "step(1)", "epoch +1", priority=True, tooltip="next shared epoch"),
        *[Binding(str(i + 1), f"tab('{t}')", t, group=VIEWS_KEYS) for i, t in enumerate(("curves", "settings",
                                                                                        "recon", "figures"))],
        Binding("l", "log_scale", "log y", tooltip="curves: log axis on or off (kept while aetui runs)"),
        Binding("d", "differences", "all settings", tooltip="settings: all, or those that differ or matter to "
                                                             "these models"),
        Binding("o", "order", "order by", tooltip="figures: rank by the next figure (the test MSE per pixel first, "
                                                  "then BCE per pixel; own objectives only between sessions of one "
                                                  "loss)"),
    ]
    HELP = [("1 … 4", "switch view: 1 curves, 2 settings, 3 reconstructions, 4 figures (a sweep: its table)")]

    def __init__(self, sessions: list[Session], workbench: Workbench, sweep: Sweep | None = None):
        super().__init__(workbench)
        self.sweep = sweep
        """Set when comparing a whole sweep: the figures tab ranks its trials by their values."""
        self.replays = [Replay(s) for s in sessions]
        self.names = short_names([s.name for s in sessions])
        """The sessions' names without their common start (the full names are in the settings)."""
        self.shared = sorted(set.intersection(*(set(r.epochs) for r in self.replays))) or [0]
        self.epoch = self.shared[-1]
        self.log_scale: bool | None = None
        self.all_settings = False
        self.sort = SORT_DEFAULT
        """The figure the figures tab ranks by."""

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with TabbedContent(id="tabs"):
            with TabPane("1 curves", id="tab-curves"), Vertical(id="compare-chart-box"):
                yield CompareChart(id="compare-chart")
            with TabPane("2 settings", id="tab-settings"), VerticalScroll():
                yield Static(id="compare-settings")
            with TabPane("3 reconstructions", id="tab-recon"), VerticalScroll(id="compare-recon"):
                for i, _ in enumerate(self.replays):
                    yield FigurePane(self.workbench.graphics, id=f"compare-recon-{i}")
            with TabPane("4 sweep" if self.sweep else "4 figures", id="tab-figures"), \
                    ScrollableContainer(id="compare-figures-scroll"):  # (wider than the screen: scrolls sideways)
                yield Static(id="compare-figures")
        yield Footer(compact=True, show_command_palette=False)  # (room for the views' keys at 80 columns)

    def on_mount(self) -> None:
        self.query_one("#tabs").can_focus = False
        self.log_scale = self.workbench.chart_scales.get("compare")
        self.draw_settings()
        self.draw_curves()
        self.show()

    def draw_settings(self) -> None:
        full = ["session", *[r.session.name for r in self.replays]]
        table = settings_diff(self.replays, self.names, self.all_settings)
        if self.names != full[1:]:
            table.caption = "columns: " + ", ".join(full[1:])
            table.caption_justify = "left"
        self.query_one("#compare-settings", Static).update(table)

    def draw_curves(self) -> None:
        chart = self.query_one(CompareChart)
        chart.log_scale = self.log_scale
        chart.show(self.replays, self.names)
        self.drawn_log = chart.drawn_log
        self.query_one("#compare-chart-box").border_subtitle = chart.legend

    def show(self) -> None:
        """Redraw the per-epoch views at `self.epoch`."""
        names = Text(", ").join(look_text(i, n) for i, n in enumerate(self.names))  # (their common start left out)
        if self.sweep is not None:
            trials = [r.session for r in self.replays]
            names = f"sweep {self.sweep.name} of {self.sweep.recipe} ({progress(self.sweep, trials)})"
        self.query_one("#status", Static).update(Text.assemble(
            "epoch ", (str(self.epoch), "bold"), f" (shared {self.shared[0]}..{self.shared[-1]}, ←/→) · ",
            f"comparing {len(self.replays)}: ", names))
        graphics, epoch = self.workbench.graphics, self.epoch
        for i, (r, name) in enumerate(zip(self.replays, self.names)):
            pane = self.query_one(f"#compare-recon-{i}", FigurePane)
            if epoch not in r.epochs:
                pane.clear(f"{name}: no epoch {epoch}")
                continue

            def make(columns: int, rows: int, r=r, name=name, i=i):
                for share in (min(len(self.replays), 2), 1):  # two sessions a screen where each shows five
                    figure = recon_figure(r, epoch, *space_for(columns, max(8, rows // share) - 1, graphics),
                                          graphics.pixels)  # digits over their reconstructions (`FEWEST`),
                    if figure.shown is None or figure.shown[0] >= min(FEWEST, figure.shown[1]):  # else one
                        break
                figure.caption = f"{look_text(i, name).plain}: {figure.caption}"
                return figure

            pane.show(make)
        if self.sweep is not None:
            self.query_one("#compare-figures", Static).update(
                sweep_table(self.sweep, [r.session for r in self.replays], self.sort, self.size.width - 2))
        else:
            self.query_one("#compare-figures", Static).update(
                figures_table(self.replays, self.names, self.epoch, self.sort))

    def on_resize(self) -> None:
        self.show()  # (the sweep's table fits the width anew)

    def action_order(self) -> None:
        """Rank the figures tab by the next figure the sessions have."""
        epoch = None if self.sweep is not None else self.epoch
        choices = sort_choices([figures_at(r.session, epoch) for r in self.replays],
                               rank.objectives_comparable([r.session.meta.recipe for r in self.replays]))
        if not choices:
            return
        self.sort = choices[(choices.index(self.sort) + 1) % len(choices)] if self.sort in choices else choices[0]
        self.query_one(TabbedContent).active = "tab-figures"
        self.notify(f"ranked by {formats.header(self.sort)}, best first", timeout=3, markup=False)
        self.show()

    def action_step(self, delta: int) -> None:
        self.epoch = step_epoch(self.shared, self.epoch, delta)
        self.show()

    def action_log_scale(self) -> None:
        self.log_scale = not self.drawn_log
        self.workbench.chart_scales["compare"] = self.log_scale
        self.draw_curves()

    def action_differences(self) -> None:
        self.all_settings = not self.all_settings
        self.query_one(TabbedContent).active = "tab-settings"
        self.draw_settings()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
