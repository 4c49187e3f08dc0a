"""`aetui schedule SESSION`: a session's change timeline as `[[schedule]]` tables, the form a recipe
takes (`aetui.core.hparams.check_schedule`), so a run tuned by hand becomes a recipe to share, edit
and sweep. A change at an epoch's first batch is written `epoch = N`, any other `step = S`."""

from __future__ import annotations

from aetui.commands.listing import session_named


def timeline(session) -> list[dict]:
    """The session's changes as schedule entries, one per step, in order (several values changed at
    one step are one entry)."""
    from aetui.core import events

    started = next((e for e in session.history if isinstance(e, events.TrainingStarted)), None)
    steps = started.steps_per_epoch if started is not None else 0
    entries: dict[int, dict] = {}
    for change in session.changes:
        when = {"epoch": change.step // steps + 1} if steps and change.step % steps == 0 else {"step": change.step}
        entries.setdefault(change.step, dict(when))[change.name] = change.new
    return [entries[step] for step in sorted(entries)]


def schedule(args) -> int:
    """Print the timeline as TOML (nothing but a comment where the session has no change)."""
    from aetui.core.recipe import to_toml
    from aetui.core.text import printable

    session = session_named(args, args.session)
    entries = timeline(session)
    print(f"# the changes of {printable(session.name)}, as a recipe's schedule (append to a recipe to replay them)")
    if entries:
        print(to_toml({"schedule": entries}).strip())
    else:
        print("# (no change was made)")
    return 0
