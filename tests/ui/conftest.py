"""UI fixtures: an app factory over a temporary session store and the embedded digits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aetui.core import data, sessions


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build the app as the CLI does, in a temporary folder, with a chosen trainer."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AETUI_MODELS", str(tmp_path / "user-models"))

    def make(trainer=None, warm_up=False, store: Path | None = None):
        from aetui.ui.app import AetuiApp

        return AetuiApp(store or Path("sessions"), lambda: data.load("digits").limited(256), trainer=trainer,
                        warm_up=warm_up)

    return make


def fake_session(store: Path, name: str, recipe_name: str, epochs: int, status: str, created: str) -> Path:
    """A session folder with fixed metadata and a history (for listings with stable dates)."""
    path = store / name
    path.mkdir(parents=True)
    meta = {"format": sessions.FORMAT, "name": name, "status": status, "epochs": 30, "created": created,
            "recipe": {"name": recipe_name, "kind": "ae"}, "dataset": {"name": "digits"}, "params": {}}
    (path / sessions.META).write_text(json.dumps(meta))
    lines = [json.dumps({"event": "EpochEnded", "epoch": e, "step": e * 4, "logs": {"loss": 1 / e, "val_loss": 1.2 / e},
                         "stats": {}, "seconds": 1.0, "samples_per_s": 100.0}) for e in range(1, epochs + 1)]
    (path / sessions.HISTORY).write_text("\n".join(lines) + "\n")
    return path
