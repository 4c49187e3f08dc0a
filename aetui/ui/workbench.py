"""What the workbench's screens share, typed, handed to each screen when it is made: the session
store, how images are drawn, the training run, the data, the chart choices. Screens read it and
post messages (`aetui.ui.messages`) to ask the app for the rest; none reaches into the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.markup import escape

from aetui.ui.runner import Runner
from aetui.views.terminal import Graphics


@dataclass
class Workbench:
    """The shared state of one workbench."""

    store: Path
    graphics: Graphics
    runner: Runner
    data_ready: Callable
    """Blocks until the dataset is loaded and returns it (it loads in the background)."""
    chart_scales: dict[str, bool | None] = field(default_factory=dict)
    """The log-axis choice (`l`) per kind of screen, held while the app runs (None: automatic)."""
    data_text: str = "loading…"
    data_fallback: str = ""
    """Why the data is not what was asked for (the 8x8 digits for MNIST offline), said on a line of its own."""
    device_text: str = "not started"

    @property
    def ascii(self) -> bool:
        """True where images are drawn in characters only."""
        return self.graphics.mode == "ascii"

    def info_line(self) -> str:
        """The home screen's first line (markup): data, device, store, the run, how images are drawn."""
        runner = self.runner
        run = f" · [b]training {escape(runner.recipe.name)}[/b] (t)" if runner.active and runner.state else ""
        fallback = f"\n[yellow]{escape(self.data_fallback)}[/]" if self.data_fallback else ""
        return (f"Data: {self.data_text} · Device: {escape(self.device_text)} · Sessions: {escape(str(self.store))}"
                f"{run} · Images: {escape(self.graphics.describe())}{fallback}")
