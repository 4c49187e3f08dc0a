"""The replay's neighbouring epochs, made while it is idle: once a step is painted, a thread makes the
drawings a step either way would show in the view on screen (the loss chart with its mark moved, a
picture's figure), so the next step only hands them on (`LossChart.prerender`, `FigurePane.prepare`)."""

from __future__ import annotations

from functools import partial

from aetui.ui.widgets.figure_pane import FigurePane
from aetui.ui.widgets.loss_chart import LossChart
from aetui.views.registry import NAMED
from aetui.views.replay import step_epoch


def chart_key(epoch: int | None) -> tuple:
    """What the replay's chart drawing with its mark at `epoch` is kept by."""
    return ("replay", epoch)


def picture_key(view: str, epoch: int) -> tuple:
    """What a picture view's figure of `epoch` is made ahead by."""
    return (view, epoch)


IDLE = 0.05
"""Seconds after a step before its neighbours are made (its frame is painted by then, and a key held
down steps on without waiting for them)."""


def make_ahead(screen) -> None:
    """Once the step's frame is painted and the replay idle (`IDLE`): make the neighbouring epochs of
    the replay `screen`'s view, in a thread worker (a later step cancels it; what it made stays)."""
    screen.set_timer(IDLE, partial(_start, screen))


def _start(screen) -> None:
    replay, epoch, tab = screen.replay, screen.epoch, screen.active_tab
    if not replay.epochs or not epoch:
        return
    near = {step_epoch(replay.epochs, epoch, d) for d in (1, -1)} - {epoch}
    view, jobs = NAMED[tab], []
    if view.chart:
        chart = screen.query_one(LossChart)
        if chart.size.area:
            jobs.append(partial(chart.prerender, replay.state, {chart_key(e): e for e in near},
                                (chart.size.width, chart.size.height), chart.plotext_theme(), chart.visual_style))
    elif view.picture is not None or (view.projections and screen.projection == "pca"):
        pane = screen.query_one(f"#view-{tab}", FigurePane)
        jobs += [partial(pane.prepare, screen.picture(tab, e), picture_key(tab, e)) for e in near]
    if jobs:
        screen.run_worker(partial(_run, jobs), thread=True, group="ahead", exclusive=True, exit_on_error=False,
                          description="neighbouring epochs")  # (else Textual writes the jobs' repr: the whole state)


def _run(jobs: list) -> None:
    from textual.worker import get_current_worker

    worker = get_current_worker()
    for job in jobs:
        if worker.is_cancelled:
            return
        try:
            job()
        except Exception:  # (a drawing not made ahead is made when it is shown: the screen says what failed)
            pass
