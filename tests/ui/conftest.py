"""UI fixtures: an app factory over a temporary session store and the embedded digits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aetui.core.session_writer import SessionWriter
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
            "recipe": {"name": recipe_name, "kind": "ae"}, "dataset": {"name": "digits"}, "params": {},
            "epochs_done": epochs, "best_val_loss": 1.2 / epochs}  # as the writer keeps them
    (path / sessions.META).write_text(json.dumps(meta))
    lines = [json.dumps({"event": "EpochEnded", "epoch": e, "step": e * 4, "logs": {"loss": 1 / e, "val_loss": 1.2 / e},
                         "stats": {}, "seconds": 1.0, "samples_per_s": 100.0}) for e in range(1, epochs + 1)]
    (path / sessions.HISTORY).write_text("\n".join(lines) + "\n")
    return path


def synthetic_session(store: Path, name: str = "synthetic-vae", epochs: int = 4, code: int = 2,
                      kind: str = "vae") -> Path:
    """A complete session written through the real writer, from fixed arrays (no training, no clocks)."""
    import numpy as np

    from aetui.core import events
    from aetui.core.analysis.latent import sweep_plane
    from aetui.core.analysis.sparsity import code_stats
    from aetui.core.recipe import Recipe
    from aetui.core.analysis.images import to_u8
    from aetui.core.training import fixed_panel

    digits = data.load("digits")
    recipe_data = {"kind": kind, "description": "synthetic", "net": {"hidden": [16], "code": code},
                   "loss": {"reduction": "sum"}, "params": {"beta": 1.0, "learning_rate": 0.001}}
    if kind != "vae":
        recipe_data["params"] = {"learning_rate": 0.001, "weight_decay": 0.0}
        recipe_data["loss"] = {"reduction": "mean"}
    recipe = Recipe.from_dict(recipe_data, name=name.split("-")[0], source="test")
    writer = SessionWriter.create(store, name, {
        "recipe": recipe.to_dict(), "params": dict(recipe.params), "epochs": epochs, "batch_size": 32,
        "dataset": digits.describe(), "device": "CPU (test)", "versions": {}, "parts": ["recon"]})
    writer.update(created="2026-11-03T08:00:00+0000")
    fixed = fixed_panel(digits, recipe)
    writer.save_fixed(fixed)
    writer.record(events.TrainingStarted(writer.name, recipe.name, epochs, 10, len(digits.x_train), "CPU (test)",
                                         dict(recipe.params)))
    rng = np.random.default_rng(1)
    labels = fixed["subset_labels"]
    centres = np.stack([np.cos(labels * 0.6), np.sin(labels * 0.6)], axis=1) * 2
    for epoch in range(1, epochs + 1):
        if epoch == 2 and "beta" in recipe.params:
            writer.record(events.HParamChanged("beta", 1.0, 2.0, 2, 12))
        codes = centres[:, :code] if code <= 2 else np.hstack([centres, rng.normal(size=(len(labels), code - 2))])
        codes = codes + rng.normal(scale=1.0 / epoch, size=codes.shape)
        stats = code_stats(codes)
        unit_means = stats.pop("unit_means")
        plane = sweep_plane(codes, 6, "gaussian" if kind == "vae" else None)
        panel = digits.x_test[fixed["panel_index"]]
        arrays = {"recon": to_u8(panel * (1 - 0.5 / epoch)), "codes": codes.astype(np.float16),
                  "unit_means": unit_means, "sweep": to_u8(rng.random((36, digits.input_dim))),
                  "sweep_xs": plane.xs, "sweep_ys": plane.ys, "sweep_centre": plane.centre,
                  "sweep_axes": plane.axes}
        if kind == "vae":
            arrays["kl_per_dim"] = np.array([1.0 / epoch, 2.0 / epoch], np.float32)
            stats["active_units"] = 2
        stats["sweep"] = plane.how
        writer.save_snapshot(epoch, arrays)
        logs = {"loss": 40.0 / epoch, "recon": 35.0 / epoch, "val_loss": 42.0 / epoch, "val_recon": 37.0 / epoch}
        writer.record(events.EpochEnded(epoch, epoch * 10, logs, stats, 1.0, 1000.0))
        writer.update(epochs_done=epoch)
    writer.record(events.TrainingFinished("finished", f"{epochs} epoch(s)", epochs, epochs * 10))
    writer.update(status="finished", reason=f"{epochs} epoch(s)", created="2026-11-03T08:00:00+0000")
    return writer.path
