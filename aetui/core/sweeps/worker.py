"""A sweep's trial in the process that trains it (a local pool's worker, a Ray task): plain data
in, a session on disk out, and the signal that stops it after its batch."""

from __future__ import annotations

import threading
from pathlib import Path

from aetui.core import ranking
from aetui.core.errors import AetuiError
from aetui.core.sweeps.standings import final_figures
from aetui.core.sweeps.sweep import Trial, done


def run_trial(trial: Trial) -> dict:
    """Train one trial (in whatever process runs it); returns its outcome as plain data.

    A trial whose session exists already (an earlier attempt died) goes on with it rather than
    starting another. SIGTERM (the sweep being stopped) ends it after the current batch,
    `interrupted` and resumable.
    """
    import signal

    from aetui.core import data
    from aetui.core.recipe import Recipe as RecipeCls
    from aetui.core.store.sessions import META, open_session
    from aetui.core.training import trainer

    store = Path(trial.store)
    if _stopping.is_set():
        return {"name": trial.name, "status": "cancelled", "reason": "the sweep was stopped", "epochs": 0}
    try:
        recipe = RecipeCls.from_dict(trial.recipe, name=trial.recipe.get("name", "?"), source=f"sweep {trial.sweep}")
        controls = _running["controls"] = trainer.Controls(recipe.tunables)
        if _stopping.is_set():  # (stopped while this trial was being set up)
            controls.interrupt("the sweep was stopped")
        if threading.current_thread() is threading.main_thread():  # (a local worker has it already)
            signal.signal(signal.SIGTERM, stop_trial)
        dataset = data.load(trial.data.get("dataset", "auto"), trial.data.get("path")).limited(trial.data.get("limit"))
        earlier = open_session(store / trial.name) if (store / trial.name / META).exists() else None
        if earlier is None or earlier.stillborn:  # (none, or cut short while being made: made anew)
            path = trainer.train(recipe, dataset, store, params=trial.params, epochs=trial.epochs,
                                 batch_size=trial.batch_size, name=trial.name, batch_interval=5.0,
                                 strategy=trial.strategy, controls=controls,
                                 extra_meta={"sweep": {"name": trial.sweep, "trial": trial.index,
                                                        "params": trial.params}})
        elif done(earlier):
            path = earlier.path  # done by an earlier attempt
        else:
            path = trainer.resume(earlier.path, dataset, batch_interval=5.0, controls=controls)
        session = open_session(path)
        last = final_figures(session)
        return {"name": trial.name, "status": session.status, "epochs": session.epochs_done,
                "val_loss": last.get("val_loss"), "loss": last.get("loss"), "reason": session.meta.reason,
                **{key: last[key] for key in ranking.KEYS.values() if key in last}}
    except AetuiError as err:
        return {"name": trial.name, "status": "failed", "reason": str(err), "epochs": 0}
    except Exception as err:  # a bug or a device error: this trial fails, the sweep goes on
        return {"name": trial.name, "status": "failed", "reason": f"{type(err).__name__}: {err}", "epochs": 0}
    finally:
        from aetui.core import backend

        _running.pop("controls", None)
        backend.clear()


_stopping = threading.Event()
"""Set in a worker process once its sweep is stopped: no further trial starts there."""
_running: dict = {}
"""The controls of the trial this process is training, for `stop_trial`."""


def stop_trial(signum=None, frame=None) -> None:
    """SIGTERM in a worker: the trial in progress stops after its batch, and no other starts."""
    _stopping.set()
    if "controls" in _running:
        _running["controls"].interrupt("the sweep was stopped")


def trial_running() -> bool:
    """Whether this process is training a trial now."""
    return "controls" in _running
