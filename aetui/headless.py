"""Console output for `aetui train`: a rich progress bar in a terminal, one line per epoch always.

Under nohup or with output to a file the bar is off and the epoch lines remain, so a log
reads cleanly.
"""

from __future__ import annotations

import contextlib
import os

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aetui.core import events
from aetui.core.data import Dataset
from aetui.core.recipe import Recipe


def detach(fds: list[int]) -> None:
    """Point these file descriptors (the terminal's) at /dev/null: after a hangup the terminal is
    gone, and writing to it would fail."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in fds:
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def format_logs(logs: dict[str, float], prefix: str = "") -> str:
    """`loss 0.123 (recon 0.1 + kl 0.02)`: the loss and its parts, for one line."""
    keys = [k for k in logs if k.startswith(prefix) and "_" not in k[len(prefix):].replace("disc_acc", "")]
    parts = [f"{k[len(prefix):]} {logs[k]:.4g}" for k in keys if k != f"{prefix}loss"]
    main = logs.get(f"{prefix}loss")
    text = f"{main:.4g}" if main is not None else ""
    return f"{text} ({', '.join(parts)})" if parts else text


class ConsoleReporter:
    """Turns training events into console output; call it with each event."""

    def __init__(self, recipe: Recipe, data: Dataset, console: Console | None = None):
        self.console = console or Console(highlight=False)
        self.recipe = recipe
        self.status = "running"
        if data.note:
            self.console.print(f"[yellow]{data.note}[/]")
        self.console.print(f"Data: {data.name} from {data.source}: {len(data.x_train)} training, "
                           f"{len(data.x_test)} test images of {data.image_shape[0]}x{data.image_shape[1]}; "
                           f"class counts {data.class_counts()}")
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                                 console=self.console, disable=not self.console.is_terminal, transient=True)
        self.task = None
        self.session = ""

    def say(self, text: str) -> None:
        """Print a line for the user."""
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
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()))
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=event.epoch + 1,
                                               loss="-")
        elif isinstance(event, events.TrainingStarted):
            self.console.print(f"Session {event.session}: {event.recipe} for {event.epochs} epochs of "
                               f"{event.steps_per_epoch} batches on {event.device}; "
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()))
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=1, loss="-")
        elif isinstance(event, events.BatchEnded) and self.task is not None:
            self.progress.update(self.task, completed=event.batch, epoch=event.epoch,
                                 loss=f"{event.logs.get('loss', float('nan')):.4g}")
        elif isinstance(event, events.EpochEnded):
            stats = event.stats
            extra = f"mean code {stats['mean_activation']:.3g}, near zero {stats['near_zero']:.0%}, " \
                    f"dead {stats['dead_units']}/{stats['units']}"
            if "active_units" in stats:
                extra += f", active latents {stats['active_units']}"
            if "disc_acc" in stats:
                extra += f", disc acc {stats['disc_acc']:.2f}"
            self.console.print(f"epoch {event.epoch:3d}  loss {format_logs(event.logs)}  "
                               f"val {format_logs(event.logs, 'val_')}  {extra}  "
                               f"[dim]{event.seconds:.1f}s, {event.samples_per_s:,.0f} samples/s[/]")
            if self.task is not None:
                self.progress.reset(self.task, epoch=event.epoch + 1, loss="-")
        elif isinstance(event, events.HParamChanged):
            self.console.print(f"{event.name}: {event.old:g} -> {event.new:g} from batch {event.step}")
        elif isinstance(event, events.TrainingFinished):
            self.close()
            self.status = event.status
            colour = {"finished": "green", "stopped": "yellow"}.get(event.status, "red")
            self.console.print(f"[{colour}]{event.status}[/]: {event.reason}")
            if event.status != "finished" and event.epochs and self.session:
                self.console.print(f"Go on with `aetui resume {self.session}` (--set NAME=VALUE changes a value, "
                                   "--epochs N the total).")

    def close(self) -> None:
        """Stop the progress bar."""
        self.progress.stop()
