"""`aetui eval`: the figures papers report for a session's epoch, computed, stored and printed."""

from __future__ import annotations

import os
import signal
import sys

from aetui.commands.train import data_named
from aetui.core.store import paths


def evaluate(args) -> int:
    """`aetui eval`: compute, store and print the figures of a session's epoch. Ctrl-C ends it
    with one line (nothing is stored: the file is written whole, at the end)."""
    from aetui.core.store import sessions
    from aetui.core.training import trainer
    from aetui.core.training.evaluate import check_samples, evaluate as evaluate_epoch
    from aetui.views.console import output, say
    from aetui.views.replay import Replay
    from aetui.views.tables import metrics_view

    check_samples(args.samples)
    previous = signal.signal(signal.SIGINT, _interrupted)  # (even where started with it ignored)
    try:
        session = sessions.find(paths.session_store(args.sessions), args.session)
        dataset = trainer.resumed_data(session, data_named(args))
        console = output()
        record = evaluate_epoch(session, dataset, args.epoch, args.samples, say=lambda line: say(console, line),
                                gpu=args.gpu, storing=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    finally:
        signal.signal(signal.SIGINT, previous)
    say(console, f"Stored in {session.path / 'evals'} ({record.seconds:.0f} s); `aetui show {session.name} "
                 "--view metrics` shows it again")
    console.print(metrics_view(Replay(session), record.epoch))  # (the history as read: one read of it)
    return 0


def _interrupted(signum, frame) -> None:
    """Ctrl-C while the figures are computed: one line, and the process ends at once, from the
    handler (nothing is stored before the end; unwinding through TensorFlow mid-computation
    crashed the process now and then, in glibc's allocator or with signal 11)."""
    print("aetui: eval interrupted (Ctrl-C): nothing was stored", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(2)
