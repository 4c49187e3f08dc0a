"""Replay: a saved session's views at any epoch, read from its files with numpy alone."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tabs

from aetui.core.conventions import EPOCH
from aetui.core.errors import AetuiError
from aetui.core.store.sessions import Session
from aetui.ui.screens.base import WorkbenchScreen
from aetui.ui.screens.replay_ahead import chart_key, make_ahead, picture_key
from aetui.ui.widgets.figure_pane import FigurePane, fit_panes
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.picture import space_for
from aetui.ui.widgets.view_pane import ViewPane
from aetui.ui.workbench import Workbench
from aetui.views import formats
from aetui.views.replay import Replay, step_epoch
from aetui.views.registry import NAMED, VIEWS, figure
from aetui.views.show import KEY_CELLS, scatter_figure


VIEWS_KEYS = Binding.Group("view")
"""The views' keys, listed together in the footer (the tabs name each)."""


class ReplayScreen(WorkbenchScreen):
    """One session, every view at the chosen epoch; the scrubber moves them all."""

    HELP_TITLE = "Replay: keys"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", tooltip="back"),
        Binding("question_mark,f1", "help", "help", tooltip="this help"),
        *[Binding(view.key, f"tab('{view.name}')", view.name, group=VIEWS_KEYS) for view in VIEWS],
        Binding("m", "maximise", "maximise", tooltip="the view alone: its tabs and first line hidden, or back"),
        Binding("left", "step(-1)", "epoch -1", priority=True, tooltip="previous epoch"),
        Binding("right", "step(1)", "epoch +1", priority=True, tooltip="next epoch"),
        Binding("home", "jump(0)", "first", show=False, priority=True, tooltip="first epoch"),
        Binding("end", "jump(-1)", "last", show=False, priority=True, tooltip="last epoch"),
        Binding("g", "go", "go to epoch", tooltip="go to an epoch (type it)"),
        Binding("c", "next_change", "next change", tooltip="next hyperparameter change (moves to its epoch)"),
        Binding("t", "tsne", "t-SNE/PCA", tooltip="scatter: t-SNE instead of PCA (and back)"),
        Binding("b", "branch", "branch here", tooltip="a new session from this epoch's kept state, trained on in "
                                                      "the train screen with its sliders"),
        Binding("l", "log_scale", "log y", show=False, tooltip="curves: log axis on or off (kept while aetui runs)"),
    ]
    HELP = [(f"{VIEWS[0].key} … {VIEWS[-1].key}", "switch view: " + ", ".join(f"{v.key} {v.title}" for v in VIEWS)),
            ("up/down, page up/down", "scroll a view taller than the screen")]
    """Keys that are not bindings with a description, for the help."""

    def __init__(self, session: Session, workbench: Workbench):
        super().__init__(workbench)
        self.replay = Replay(session)
        self.epoch = self.replay.last
        self.projection = "pca"
        self.change_index = -1
        self.note = ""
        self.drawn: dict[str, int] = {}
        """The epoch each picture pane shows."""
        self.scatter_drawn: tuple[int, str] | None = None
        self.marked: int | None = None
        """The epoch the chart marks."""
        self.tsne_cache: dict[int, tuple] = {}
        """t-SNE maps already computed, by epoch."""

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        ascii = self.workbench.ascii
        with TabbedContent(id="tabs"):
            for view in VIEWS:
                with TabPane(f"{view.key} {view.title}", id=f"tab-{view.name}"):
                    if view.chart:
                        with Vertical(id="chart-box"):
                            yield LossChart(id="chart")
                        yield Static(id="epoch-values")
                    elif view.fill:  # hidden views mount after the first frame (Lazy)
                        yield Lazy(FigurePane(self.workbench.graphics, fill=True, id=f"view-{view.name}"))
                    elif view.picture is not None:
                        yield Lazy(VerticalScroll(FigurePane(self.workbench.graphics, id=f"view-{view.name}")))
                    else:
                        yield Lazy(VerticalScroll(ViewPane(self.replay, view.name, ascii, id=f"view-{view.name}")))
        yield Footer(compact=True, show_command_palette=False)  # (room for the views' keys at 80 columns)

    def on_mount(self) -> None:
        self.query_one("#tabs").can_focus = False
        self.query_one(LossChart).log_scale = self.workbench.chart_scales.get("replay")
        self.draw_chart()
        self.show()

    def draw_chart(self) -> None:
        """The whole history, the epoch shown marked on it."""
        chart = self.query_one(LossChart)
        self.marked = self.epoch
        chart.show(self.replay.state, mark=self.epoch if self.replay.epochs else None, key=chart_key(self.epoch))
        self.query_one("#chart-box").border_subtitle = chart.legend

    active_tab = property(lambda self: self.query_one(TabbedContent).active.removeprefix("tab-"))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.show()
        scroll = event.pane.query(VerticalScroll)
        if scroll:
            scroll.first().focus()  # so Up/Down/PageUp/PageDown scroll a view taller than the screen

    def show(self) -> None:
        """Move the visible view to `self.epoch` (the others catch up when shown: steps stay cheap)."""
        epoch = self.epoch
        tab = self.active_tab
        view = NAMED[tab]
        if view.chart:
            self.query_one("#epoch-values", Static).update(self.epoch_values())
            if self.marked != epoch:
                self.draw_chart()  # (the mark moves with the epoch)
        elif view.projections:
            self.draw_scatter()
        elif view.picture is not None:
            pane = self.query_one(f"#view-{tab}", FigurePane)
            if self.drawn.get(tab) != epoch:
                self.drawn[tab] = epoch
                pane.show(self.picture(tab, epoch) if epoch else None, picture_key(tab, epoch))
        else:
            pane = self.query_one(f"#view-{tab}", ViewPane)
            if pane.epoch != epoch:
                pane.show(epoch)
        self.draw_status()
        make_ahead(self)  # (the epochs a step either way shows, while idle)

    def picture(self, view: str, epoch: int):
        """What a picture view's pane draws at `epoch`, for the space it has."""
        graphics = self.workbench.graphics

        def make(columns: int, rows: int):
            return figure(self.replay, view, epoch, columns, rows, graphics.pixels, graphics.cell)

        return make

    def draw_status(self) -> None:
        """The first line: session, status, the chosen epoch, gaps and any note."""
        replay, epoch = self.replay, self.epoch
        session = replay.session
        gaps = f" · [yellow]{len(session.problems)} gap(s): see {NAMED['params'].key}[/]" if session.problems else ""
        self.query_one("#status", Static).update(
            f"[b]{escape(session.name)}[/b] · {escape(session.meta.recipe_name)} · "
            f"{session.status} · epoch [b]{epoch}[/b]/{replay.last} (←/→){gaps}" +
            (f" · {escape(self.note)}" if self.note else ""), layout=False)  # (one row: no layout pass)

    def epoch_values(self) -> str:
        """The chosen epoch's losses and parts, train and validation, in one line."""
        if not self.replay.epochs:
            return ""
        logs = self.replay.session.epochs[self.replay.epochs.index(self.epoch)].logs
        both = [f"{key[:-len(EPOCH)]}, mean activation over the epoch's training digits {formats.objective(value)}, "
                f"over the test digits {formats.objective(logs.get('val_' + key[:-len(EPOCH)]))}"
                for key, value in logs.items() if key.endswith(EPOCH)]
        return escape(f"epoch {self.epoch}: loss {formats.logs_line(logs)}   val {formats.logs_line(logs, 'val_')}" +
                      "".join(f" · {line}" for line in both))

    def draw_scatter(self) -> None:
        """The scatter at the chosen epoch (PCA here; t-SNE arrives from its worker)."""
        epoch = self.epoch
        pane = self.query_one("#view-scatter", FigurePane)
        if not epoch or self.scatter_drawn == (epoch, self.projection):
            return
        if self.projection == "tsne" and epoch not in self.tsne_cache:
            self.note = "computing t-SNE…"
            self._tsne(epoch)
            return
        self.scatter_drawn = (epoch, self.projection)
        if self.projection == "tsne":
            self.show_points(pane, *self.tsne_cache[epoch])
        else:
            pane.show(self.picture("scatter", epoch), picture_key("scatter", epoch))

    def show_points(self, pane: FigurePane, points, how: str) -> None:
        """Draw computed 2-D points (a t-SNE map) in the scatter's pane."""
        graphics, labels, epoch = self.workbench.graphics, self.replay.fixed["subset_labels"], self.epoch

        def make(columns: int, rows: int):
            key = 0 if graphics.pixels else KEY_CELLS  # (in pixels the key is drawn in the picture)
            return scatter_figure(points, labels, f"epoch {epoch}: {how}",
                                  *space_for(columns - key, rows - 2, graphics), graphics.pixels)

        pane.show(make)

    def action_step(self, delta: int) -> None:
        if self.replay.epochs:
            self.move(step_epoch(self.replay.epochs, self.epoch, delta))

    def action_jump(self, index: int) -> None:
        if self.replay.epochs:
            self.move(self.replay.epochs[index])

    def move(self, epoch: int) -> None:
        """Show `epoch` (in t-SNE mode its map is computed in the background, once per epoch)."""
        if epoch != self.epoch:
            self.epoch = epoch
            self.note = ""
            self.show()

    def action_go(self) -> None:
        from aetui.ui.screens.dialogs import NameDialog

        def go(text: str | None) -> None:
            if not text:
                return
            if not text.strip().isdigit():
                self.notify(f"type an epoch number, 1..{self.replay.last}", severity="warning")
                return
            self.attempt(lambda: self.move(self.replay.check_epoch(int(text))), severity="warning")

        self.app.push_screen(NameDialog(f"Go to epoch (1..{self.replay.last}):", str(self.epoch),
                                        hint="Enter to go, Escape to cancel"), go)

    def action_next_change(self) -> None:
        changes = self.replay.session.changes
        if not changes:
            self.notify("No hyperparameter changed during this run.")
            return
        self.change_index = (self.change_index + 1) % len(changes)
        change = changes[self.change_index]
        self.query_one(TabbedContent).active = "tab-curves"
        self.move(min(max(change.epoch, 1), self.replay.last))
        steps = max(self.replay.state.steps_per_epoch, 1)
        self.note = (f"change {self.change_index + 1}/{len(changes)}: {change.name} {formats.param(change.old)} → "
                     f"{formats.param(change.new)} from batch {change.step - (change.epoch - 1) * steps + 1} "
                     f"of epoch {change.epoch} (step {change.step})")
        self.show()

    def action_tsne(self) -> None:
        self.query_one(TabbedContent).active = "tab-scatter"
        if self.projection == "tsne":
            self.projection = "pca"
            self.scatter_drawn = None
            self.show()
            return
        if not self.epoch:
            return
        codes = self.attempt(lambda: self.replay.codes(self.epoch)[0])
        if codes is None:
            return
        if codes.shape[1] <= 2:
            self.notify("This code is 2-D: the scatter shows it directly, no projection needed.")
            return
        self.projection = "tsne"
        self.show()

    @work(thread=True, exclusive=True, group="tsne")
    def _tsne(self, epoch: int) -> None:
        try:
            points, how = self.replay.projection(epoch, "tsne")
        except AetuiError as err:  # a damaged snapshot: said, the PCA stays
            self.app.call_from_thread(self._tsne_failed, str(err))
            return
        self.app.call_from_thread(self._tsne_done, epoch, points, how)

    def _tsne_failed(self, reason: str) -> None:
        self.projection = "pca"
        self.notify(reason, severity="error", markup=False)
        self.show()

    def _tsne_done(self, epoch: int, points, how: str) -> None:
        self.tsne_cache[epoch] = (points, how)
        if epoch == self.epoch and self.projection == "tsne":
            self.note = ""
            self.show()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def action_maximise(self) -> None:
        """Hide (or show again) the tabs and the first line: the view takes every row but the footer's."""
        tabs, status = self.query_one(TabbedContent).query_one(Tabs), self.query_one("#status")
        tabs.display = status.display = not tabs.display
        fit_panes(self)

    def on_resize(self) -> None:
        fit_panes(self)

    def action_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.drawn_log
        self.workbench.chart_scales["replay"] = chart.log_scale
        self.draw_chart()

    def action_branch(self) -> None:
        """Branch at the epoch shown (when its state is kept): a new session standing at it, which the
        train screen then trains on, as it resumes a session."""
        from aetui.core.training.lineage import make_branch
        from aetui.ui import messages

        path = self.attempt(lambda: make_branch(self.replay.session, self.workbench.store, self.epoch))
        if path is not None:
            self.notify(f"{path.name}: a branch of {self.replay.session.name} at epoch {self.epoch}", markup=False)
            self.post_message(messages.ResumeSession(str(path)))
