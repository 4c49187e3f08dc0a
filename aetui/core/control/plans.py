"""Changes planned ahead in a running session, through its control channel: `aetui tune --at-epoch N`
(`plan`: set values from the first batch of epoch N) and `aetui tune --cancel` (`cancel`: drop every
planned change). The channel hands these commands here; `Controls.plan` keeps them and the engine
applies each before the batch it names, recording it in the history like any other change.
"""

from __future__ import annotations

from aetui.core import events, hparams
from aetui.core.errors import AetuiError

PLAN_OPS = ("plan", "cancel")


def apply_plan(controls, command: dict, where: dict) -> dict:
    """Carry out a `plan` or `cancel` command, or say why not: the fields of the channel's `Answer`
    (ok, message, step, epoch, applied)."""
    steps, step = where.get("steps", 0), where.get("step", 0)
    if command.get("op") == "cancel":
        count = controls.cancel_planned()
        return answer(True, f"cancelled {count} planned change(s)" if count else "nothing was planned",
                      step, events.epoch_of(step, steps))
    values, epoch = command.get("values"), command.get("at_epoch")
    if not isinstance(values, dict) or not values or len(values) > len(hparams.HPARAMS):
        return answer(False, "refused: `plan` needs values, e.g. {\"beta\": 3}")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not 1 <= epoch <= where.get("epochs", 0):
        return answer(False, f"refused: the epoch must be a whole number from 1 to {where.get('epochs', 0)}")
    at = (epoch - 1) * steps
    if at < step:
        return answer(False, f"refused: epoch {epoch} has begun (the run is at step {step}); "
                                 "`aetui tune --set` changes a value now")
    try:
        checked = controls.plan(at, {str(k): v for k, v in values.items()},
                                origin=events.origin_text(str(command.get("from", "?"))))
    except AetuiError as err:
        return answer(False, f"refused: {err}")
    said = ", ".join(f"{k}={v:g}" for k, v in checked.items())
    return answer(True, f"{said} planned {events.takes_effect(at, steps)}", at, epoch, checked)


def pending(controls) -> list[dict]:
    """The planned changes not yet applied, as the progress record shows them."""
    return [{"step": step, "name": name, "value": value} for step, name, value in controls.planned()]


def answer(ok: bool, message: str, step: int = 0, epoch: int = 0, applied: dict | None = None) -> dict:
    return {"ok": ok, "message": message, "step": step, "epoch": epoch, "applied": applied or {}}
