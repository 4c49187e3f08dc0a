"""A run's live side (`Live`): the values changed while it trains, from this process (`Controls`:
sliders, a schedule's planned changes) or another (`Channel`: `aetui tune`, attached views), each
recorded with its step in one write. Plain Python; the engine's `LiveControls` holds it."""

from __future__ import annotations

from aetui.core import events
from aetui.core.control.channel import Channel
from aetui.core.training.controls import Controls
from aetui.core.training.keeping import Keeping
from aetui.core.training.parts import Clock, Journal, Position


class Live:
    """Commands from this process and others, and the record of the changes they make."""

    def __init__(self, controls: Controls, knobs, folder, position: Position, journal: Journal,
                 keeping: Keeping, clock: Clock):
        self.controls, self.knobs, self.folder = controls, knobs, folder
        self.position, self.journal, self.keeping, self.clock = position, journal, keeping, clock
        self.channel: Channel | None = None
        """Commands from other processes, and the progress record attached views read."""

    def attach(self) -> None:
        """Connect the controls to the model's knobs, and open the channel to other processes."""
        self.controls.attach(self.knobs, self.knobs.step)
        try:
            self.channel = Channel(self.folder, self.controls, self.controls.tunables)
        except OSError:  # (`control` planted as a file or a link: the run goes on without; `tune` says so)
            self.channel = None
        self.beat(force=True)
        self.record_changes()

    def where(self) -> dict:
        """Where the run is, as the progress record says it, with the changes planned ahead
        (pending markers for attached views)."""
        planned = self.controls.planned()
        return {**self.position.where(), **({"planned": planned} if planned else {})}

    def apply_due(self) -> None:
        """Before a batch: set the planned changes due by now (`Controls.plan`)."""
        for name, value, origin in self.controls.take_due(self.position.step):
            self.controls.set(name, value, origin=origin)

    def beat(self, force: bool = False) -> None:
        """A batch boundary: commands from other processes are taken, the progress record rewritten."""
        if self.channel is not None:
            with self.clock.timed("control"):
                self.channel.beat(self.where(), force)

    def record_changes(self) -> None:
        """Record the changes `Controls.set` applied since the last callback, with their step, in
        one write: several of one value from one step are one change (from the first old value to
        the last new one, by whoever set that), and one that ends where it began is none."""
        merged: dict[tuple[str, int], tuple[float, float, str]] = {}
        for name, old, new, step, origin in self.controls.take_applied():
            merged[name, step] = (merged.get((name, step), (old,))[0], new, events.origin_text(origin))
        steps = self.position.steps
        changes = [events.HParamChanged(name, old, new, events.epoch_of(step, steps), step, origin)
                   for (name, step), (old, new, origin) in merged.items() if old != new]
        for change in changes:  # (the epoch before it is kept, to branch from with another value)
            if self.keeping.keep_before(change.epoch):
                with self.clock.timed("weights"):
                    self.keeping.write_weights()
        if changes:
            self.journal.record(*changes)

    def close(self) -> None:
        """Let go of the controls, and close the channel with where the run ended."""
        self.controls.detach()
        if self.channel is not None:
            self.channel.close(self.where())
            self.channel = None
