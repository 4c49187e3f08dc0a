"""What the screens ask of the app (they post these; the app opens screens and owns the run)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message


class OpenRecipe(Message):
    """Open the training screen of the recipe file at `path` (or the run in progress, if it is it)."""

    def __init__(self, path: Path | str):
        super().__init__()
        self.path = Path(path)


class OpenSession(Message):
    """Open a saved session's replay; one that another process is training is attached to
    instead, unless `replay`."""

    def __init__(self, path: Path | str, replay: bool = False):
        super().__init__()
        self.path = Path(path)
        self.replay = replay


class ResumeSession(Message):
    """Open the training screen set to go on with a stopped session."""

    def __init__(self, path: Path | str):
        super().__init__()
        self.path = Path(path)


class Compare(Message):
    """Open sessions side by side."""

    def __init__(self, paths: list[Path | str]):
        super().__init__()
        self.paths = [Path(p) for p in paths]


class CompareSweep(Message):
    """Open every trial of a sweep side by side."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name


class ShowRun(Message):
    """Go to the training screen of the run in progress."""


class RunEvent(Message):
    """An event of the live run (`aetui.core.events`, or a command's `Answered`), posted to the app
    from the thread that has it (the training worker, the follower of an attached run, the sender of
    its commands); `run` names the run it belongs to (`Runner.run`), so a stopped run's last events
    never reach the next one's state. `events`: what it carries, oldest first (`event` is the last)."""

    def __init__(self, event, run: int):
        super().__init__()
        self.event, self.run, self.events = event, run, [event]


class RunProgress(RunEvent):
    """A batch's progress (`BatchEnded`): a backlog of them collapses into the newest, which then
    carries the batches before it (`events`, oldest first), so the state loses no point of the
    curve and the screen redraws once for all of them."""

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, RunProgress) and message.run == self.run:
            message.events[:0] = self.events  # (the newer one takes this one's batches along)
            return True
        return False
