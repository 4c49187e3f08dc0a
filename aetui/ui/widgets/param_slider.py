"""A keyboard slider for one hyperparameter: arrow keys step along ticks, Enter types an exact value."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from aetui.core.errors import AetuiError
from aetui.core.hparams import HPARAMS, RUN_SETTINGS, HParam

TICKS = 40
"""About this many steps along a linear slider."""


def ticks(spec: HParam) -> list[float]:
    """The values the arrow keys step through: 1, 2, 3, 5, 7 per decade for log parameters (0 first
    when valid), powers of two for batch sizes, round even steps otherwise (multiples of 1, 2 or 5
    times a power of ten: epochs go 25, 30, 35); the slider's ends are always among them."""
    low, high = spec.slider
    if spec.log and spec.integer:
        values = [float(2 ** k) for k in range(math.ceil(math.log2(low)), math.floor(math.log2(high)) + 1)]
    elif spec.log:
        values = [m * 10.0 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
                  for m in (1, 2, 3, 5, 7)]
        values = [float(f"{v:.3g}") for v in values if low * (1 - 1e-9) <= v <= high * (1 + 1e-9)]
        if spec.low == 0 and not spec.low_open:
            values.insert(0, 0.0)
    else:
        rough = (high - low) / TICKS
        step = min(m * 10.0 ** math.floor(math.log10(rough)) * k for m in (1, 2, 5) for k in (1, 10)
                   if m * 10.0 ** math.floor(math.log10(rough)) * k >= rough)
        values = [k * step for k in range(math.ceil(low / step), math.floor(high / step) + 1)]
    values = [float(round(v)) if spec.integer else float(f"{v:.6g}") for v in [low, *values, high]]
    return sorted(set(values))


NAME_WIDTH = max(len(spec.label) for spec in (*HPARAMS.values(), *RUN_SETTINGS.values()))
VALUE_WIDTH = 8
"""The columns of a slider's name and value (`1.23e-05` at most), the same for every slider and
value: the bars line up and stay put as values change width."""


def format_value(value: float, spec: HParam) -> str:
    """A value as the slider shows it."""
    if spec.integer:
        return str(int(value))
    return "0" if value == 0 else f"{value:.3g}"


class ParamSlider(Vertical, can_focus=True):
    """One hyperparameter: name, value and a bar; left/right step, shift for five, Enter to type."""

    BINDINGS = [
        Binding("left", "step(-1)", "less", show=False),
        Binding("right", "step(1)", "more", show=False),
        Binding("shift+left", "step(-5)", "much less", show=False),
        Binding("shift+right", "step(5)", "much more", show=False),
        Binding("enter", "edit", "type value", show=False),
        Binding("up", "app.focus_previous", "previous", show=False),  # (before the panel's scrolling)
        Binding("down", "app.focus_next", "next", show=False),
    ]

    value: reactive[float] = reactive(0.0, init=False)
    error: reactive[str] = reactive("")
    locked: reactive[bool] = reactive(False)
    """True while the value cannot change (epochs and batch size once a run starts)."""

    class Changed(Message):
        """The user set a new value (already validated)."""

        def __init__(self, slider: ParamSlider, value: float):
            super().__init__()
            self.slider = slider
            self.name = slider.spec.name
            self.value = value

        @property
        def control(self) -> ParamSlider:
            return self.slider

    def __init__(self, spec: HParam, value: float, **kwargs):
        super().__init__(id=f"slider-{spec.name}", **kwargs)
        self.spec = spec
        self.ticks = ticks(spec)
        self.set_reactive(ParamSlider.value, float(value))

    def compose(self) -> ComposeResult:
        yield Static(id="line")
        yield Input(id="entry", classes="hidden", placeholder=self.spec.describe_range())

    def on_mount(self) -> None:
        self._draw()

    def watch_value(self) -> None:
        self._draw()

    def watch_error(self) -> None:
        self._draw()

    def watch_locked(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()


    def position(self) -> float:
        """Where the value sits along the slider, 0..1."""
        low, high = self.spec.slider
        v = min(max(self.value, low), high)
        if self.spec.log:
            if self.value <= 0:
                return 0.0
            return math.log(v / low) / math.log(high / low)
        return (v - low) / (high - low)

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        width = max(self.size.width, 12)
        name = self.spec.label.ljust(NAME_WIDTH)
        value = f"{format_value(self.value, self.spec):>{VALUE_WIDTH}}"
        bar_width = max(4, width - len(name) - len(value) - 3)
        filled = int(round(self.position() * (bar_width - 1)))
        text = Text(f"{name} ", style="bold")
        if self.locked:
            text.append("─" * bar_width, "dim")
        else:
            text.append("━" * filled, "bold")
            text.append("●")
            text.append("─" * (bar_width - filled - 1), "dim")
        text.append(f" {value}")
        if self.error:
            text.append(f"\n{self.error}", "bold red")
        self.query_one("#line", Static).update(text)

    def set_value(self, value: float, announce: bool = True) -> None:
        """Validate and set a value; an invalid one is refused and the reason shown."""
        if self.locked:
            self.error = f"{self.spec.name} is fixed while a run goes on"
            return
        try:
            value = self.spec.check(value)
        except AetuiError as err:
            self.error = str(err)
            return
        self.error = ""
        if value != self.value:
            self.value = value
            if announce:
                self.post_message(self.Changed(self, value))

    def action_step(self, direction: int) -> None:
        current = self.value
        if direction > 0:
            above = [t for t in self.ticks if t > current * (1 + 1e-9) + 1e-15]
            if not above:
                return  # at or past the slider's top (a typed value may be): arrows never lower it
            target = above[min(direction, len(above)) - 1]
        else:
            below = [t for t in self.ticks if t < current * (1 - 1e-9) - 1e-15]
            if not below:
                return
            target = below[-min(-direction, len(below))]
        self.set_value(target)

    def action_edit(self) -> None:
        if self.locked:  # say so now, not after a value is typed
            self.error = f"{self.spec.name} is fixed while a run goes on"
            return
        entry = self.query_one("#entry", Input)
        entry.value = format_value(self.value, self.spec)
        entry.remove_class("hidden")
        entry.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_value(event.value)
        if not self.error:
            self._close_entry()

    def on_key(self, event) -> None:
        if event.key == "escape" and not self.query_one("#entry", Input).has_class("hidden"):
            event.stop()
            self.error = ""
            self._close_entry()

    def _close_entry(self) -> None:
        self.query_one("#entry", Input).add_class("hidden")
        self.focus()
