"""UI fixtures: an app factory over a temporary session store and the embedded digits."""

from __future__ import annotations

from pathlib import Path

import pytest

from aetui.core import data


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build the app as the CLI does, in a temporary folder, with a chosen trainer."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AETUI_MODELS", str(tmp_path / "user-models"))

    def make(trainer=None, warm_up=False, store: Path | None = None, load=None):
        from aetui.ui.app import AetuiApp

        return AetuiApp(store or Path("sessions"), load or (lambda: data.load("digits").limited(256)),
                        trainer=trainer, warm_up=warm_up)

    return make
