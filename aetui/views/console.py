"""Console output of the commands that train: a progress bar in a terminal, one line per epoch or
trial everywhere (a log to a file reads cleanly, one line each, however long)."""

from __future__ import annotations

import contextlib
import os
import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from aetui.core import conventions, events, ranking
from aetui.core.conventions import EPOCH
from aetui.core.data import Dataset
from aetui.core.recipe import Recipe
from aetui.views import formats
from aetui.views.formats import logs_line as format_logs


def output() -> Console:
    """The console for a command's lines: a line is never hard-wrapped where the output is a file
    or a pipe (a log keeps one line per epoch or trial, however long)."""
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def table_output() -> Console:
    """Where listings print: the terminal's width (or `COLUMNS`), or, written to a file or a pipe,
    up to 240 columns, so a table keeps its numbers at full length (in less room they are written
    shorter, never cut: `fitted.FittedTable`)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 240)


class ConsoleReporter:
    """Turns training events into console output; call it with each event."""

    def __init__(self, recipe: Recipe, data: Dataset, console: Console | None = None):
        self.console = console or output()
        self.recipe = recipe
        self.status = "running"
        if data.note:
            self.console.print(Text(data.note, style="yellow"))
        self.console.print(f"Data: {data.name} from {data.source}: {len(data.x_train)} training, "
                           f"{len(data.x_test)} test images of {data.image_shape[0]}x{data.image_shape[1]}; "
                           f"class counts {data.class_counts()}", markup=False)
        self.console.print(conventions.line(recipe), markup=False, style="dim")
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                                 console=self.console, disable=not self.console.is_terminal, transient=True)
        self.task = None
        self.session = ""

    def say(self, text: str) -> None:
        """Print a line for the user (rich markup: what it shows of a name or a path is escaped)."""
        self.console.print(text)

    def __call__(self, event) -> None:
        try:
            self.show(event)
        except OSError:  # the terminal went away (the run goes on; the session has everything)
            pass

    def show(self, event) -> None:
        """Print what `event` says."""
        if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
            self.session = event.session
        if isinstance(event, events.TrainingResumed):
            self.console.print(f"Session {event.session}: resuming after epoch {event.epoch} of {event.epochs} "
                               f"(it was {event.previous}) on {event.device}; "
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()), markup=False)
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=event.epoch + 1,
                                               loss="-")
        elif isinstance(event, events.TrainingStarted):
            self.console.print(f"Session {event.session}: {event.recipe} for {event.epochs} epochs of "
                               f"{event.steps_per_epoch} batches on {event.device}; "
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()), markup=False)
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=1, loss="-")
        elif isinstance(event, events.BatchEnded) and self.task is not None:
            self.progress.update(self.task, completed=event.batch, epoch=event.epoch,
                                 loss=f"{event.logs.get('loss', float('nan')):.4g}")
        elif isinstance(event, events.EpochEnded):
            stats = event.stats
            extra = f"mean code {stats['mean_activation']:.3g}, near zero {stats['near_zero']:.0%}, " \
                    f"L0 {stats.get('l0', float('nan')):.3g}, dead {stats['dead_units']}/{stats['units']}"
            if "active_units" in stats:
                extra += f", active latents {stats['active_units']}"
            if "disc_acc" in stats:
                extra += f", disc accuracy {stats['disc_acc']:.0%}"
            whole = "".join(f"; {key[:-len(EPOCH)]}: epoch's training digits {formats.objective(value)}, test "
                            f"digits {formats.objective(event.logs.get('val_' + key[:-len(EPOCH)]))}"
                            for key, value in event.logs.items() if key.endswith(EPOCH))
            error = stats.get(ranking.KEYS[ranking.DEFAULT])
            ranked = f"{ranking.LABELS[ranking.DEFAULT]} {formats.pixel_error(error)}  " if error is not None else ""
            self.console.print(Text.assemble(f"epoch {event.epoch:3d}  loss {format_logs(event.logs)}  "
                                             f"val {format_logs(event.logs, 'val_')}{whole}  {ranked}{extra}  ",
                                             (f"{event.seconds:.1f}s, {event.samples_per_s:,.0f} samples/s", "dim")))
            if self.task is not None:
                self.progress.reset(self.task, epoch=event.epoch + 1, loss="-")
        elif isinstance(event, events.HParamChanged):
            self.console.print(f"{event.name}: {event.old:g} -> {event.new:g} from step {event.step} (epoch "
                               f"{event.epoch})", markup=False)
        elif isinstance(event, events.TrainingFinished):
            self.close()
            self.status = event.status
            colour = {"finished": "green", "stopped": "yellow"}.get(event.status, "red")
            self.console.print(Text.assemble((event.status, colour), f": {event.reason}"))
            if event.status != "finished" and event.epochs and self.session:
                self.console.print(f"Go on with `aetui resume {self.session}` (--set NAME=VALUE changes a value, "
                                   "--epochs N the total).", markup=False)

    def close(self) -> None:
        """Stop the progress bar."""
        self.progress.stop()


def say(console: Console, text: str) -> None:
    """Print a line as it is (no markup: it names sessions and sweeps); a terminal that went away is
    no error (the sessions have everything)."""
    with contextlib.suppress(OSError):
        console.print(text, markup=False)
