"""The engine's callbacks each hold only the parts of the run they use (issue 27): none holds the
whole run, and the ones with one job hold only what that job needs."""

import inspect

import pytest

from aetui.core.training import engine

HELD = {
    engine.Progress: {"position", "clock", "journal", "ending", "opening", "interval"},
    engine.DivergenceStop: {"position", "ending"},
    engine.LiveControls: {"position", "clock", "journal", "live", "ending"},
    engine.EpochRecorder: {"position", "clock", "journal", "keeping", "live", "ending", "built", "data", "fixed"},
}


@pytest.mark.parametrize("callback", list(HELD), ids=lambda c: c.__name__)
def test_each_callback_is_handed_only_the_parts_it_uses(callback):
    handed = set(inspect.signature(callback.__init__).parameters) - {"self"}
    assert handed == HELD[callback]
    assert "run" not in handed
    source = inspect.getsource(callback)
    for part in {"position", "clock", "journal", "keeping", "live", "ending"} - handed:
        assert f"self.{part}" not in source, f"{callback.__name__} reaches {part} it was not handed"


def test_no_callback_reaches_the_assembled_run():
    source = inspect.getsource(engine)
    assert "self.run" not in source and "import Run" not in source
