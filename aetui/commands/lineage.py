"""`aetui rerun` and `aetui branch`: a new session made from another (`aetui.core.training.lineage`),
trained headless like `aetui train` (or in the background with `--detach`)."""

from __future__ import annotations

from aetui.commands.train import _detach, _headless, data_named
from aetui.core.store import paths


def rerun(args) -> int:
    """`aetui rerun SESSION`: the same recipe, data, seed and changes, at the same steps."""
    from aetui.core import backend
    from aetui.core.store import sessions
    from aetui.core.training import lineage, trainer

    session = sessions.find(paths.session_store(args.sessions), args.session)
    lineage.started(session)
    if args.detach:
        return _detach(args)
    dataset = trainer.resumed_data(session, data_named(args))
    device = backend.configure(gpu=args.gpu)
    for why in lineage.differences(session, device.name):
        print(f"aetui: warning: the rerun may not give the same figures: {why}", flush=True)
    store = paths.session_store(args.sessions)
    return _headless(session.recipe(), dataset, lambda name: store / name, lambda reporter, controls: lineage.rerun(
        session, dataset, store, name=args.name, epochs=args.epochs, on_event=reporter, controls=controls,
        gpu=args.gpu))


def branch(args) -> int:
    """`aetui branch SESSION --from-epoch N`: on from a kept epoch, in a new session."""
    from aetui.core import hparams
    from aetui.core.errors import AetuiError
    from aetui.core.store import sessions
    from aetui.core.training import lineage, trainer

    session = sessions.find(paths.session_store(args.sessions), args.session)
    lineage.started(session)
    overrides = hparams.parse_assignments(args.set, session.recipe().tunables)
    if args.from_epoch not in lineage.kept_epochs(session):
        kept = ", ".join(map(str, lineage.kept_epochs(session))) or "none"
        raise AetuiError(f"{session.name}: the state of epoch {args.from_epoch} is not kept (kept: {kept})")
    if args.detach:
        return _detach(args)
    dataset = trainer.resumed_data(session, data_named(args))
    store = paths.session_store(args.sessions)
    return _headless(session.recipe(), dataset, lambda name: store / name, lambda reporter, controls: lineage.branch(
        session, dataset, store, args.from_epoch, params=overrides, name=args.name, epochs=args.epochs,
        on_event=reporter, controls=controls, gpu=args.gpu))
