"""The `aetui` command line: its arguments, and which command (`aetui.commands`) runs them.

User errors (`AetuiError`) print one line and exit with status 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from aetui.core.errors import AetuiError


def _parser() -> argparse.ArgumentParser:
    from aetui import __version__

    parser = argparse.ArgumentParser(prog="aetui", description="A terminal workbench for autoencoders.")
    parser.add_argument("--version", action="version", version=f"aetui {__version__}")
    parser.add_argument("--sessions", metavar="DIR", help="session store (default: $AETUI_SESSIONS or ./sessions)")
    _data_args(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="train on the first N training images only")
    parser.add_argument("--ascii", action="store_true", help="draw images with an ASCII ramp (no colour)")
    from aetui.views.terminal import MODES

    parser.add_argument("--graphics", choices=MODES, default=None,
                        help="how images are drawn: auto (default; asks the terminal, or $AETUI_GRAPHICS), kitty or "
                             "sixel (real pixels), halfblock, ascii")
    parser.add_argument("--gpu", type=int, metavar="N", help="train on GPU N only")
    parser.add_argument("--verbose", action="store_true",
                        help="let TensorFlow's own log lines reach the terminal (commands; the workbench, whose "
                             "screen they would break, and every command without it write them to $AETUI_LOG)")
    parser.add_argument("--on-hangup", choices=("keep", "stop"), default="keep",
                        help="when the terminal goes away during a run of the workbench: keep (default) saves "
                             "the epoch in progress and goes on in a background process; stop ends the run there")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                help="one of the commands below; without a command the workbench opens")

    train = sub.add_parser("train", help="train a recipe headless, writing a session")
    train.add_argument("recipe", help="recipe name (see `aetui recipes`) or path to a .toml file")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a hyperparameter, e.g. --set beta=3 (repeatable)")
    train.add_argument("--epochs", type=int, help="number of epochs (default: the recipe's)")
    train.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    train.add_argument("--session", metavar="NAME", help="session name (default: RECIPE-DATE-TIME)")
    from aetui.core.backend import STRATEGIES

    train.add_argument("--strategy", choices=STRATEGIES,
                       help="mirrored: one session across all visible GPUs (tf.distribute.MirroredStrategy)")
    train.add_argument("--keep", metavar="all|every:K",
                       help="keep the weights and optimizer state of more epochs, to branch from (besides the "
                            "last and the epoch before each change)")
    _detach_arg(train)
    _run_args(train)

    rerun = sub.add_parser("rerun", help="train a session again exactly: its recipe, data, seed and every "
                                         "recorded change at the same step")
    rerun.add_argument("session", help="session name (see `aetui ls`) or folder")
    rerun.add_argument("--session", dest="name", metavar="NAME", help="the new session's name")
    rerun.add_argument("--epochs", type=int, help="epochs (default: the session's)")
    _detach_arg(rerun)
    _run_args(rerun, limit=False)
    branch = sub.add_parser("branch", help="a new session going on from a kept epoch of another")
    branch.add_argument("session", help="session name (see `aetui ls`) or folder")
    branch.add_argument("--from-epoch", type=int, required=True, metavar="N", help="the kept epoch to start from")
    branch.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a value to change from there on, e.g. --set beta=1 (repeatable)")
    branch.add_argument("--session", dest="name", metavar="NAME", help="the new session's name")
    branch.add_argument("--epochs", type=int, help="the new total number of epochs (default: the parent's)")
    _detach_arg(branch)
    _run_args(branch, limit=False)

    from aetui.core.sweeps.sweep import BACKENDS

    sweep = sub.add_parser("sweep", help="train every combination of hyperparameter values, a session each")
    sweep.add_argument("recipe", nargs="?", help="recipe name or path to a .toml file")
    sweep.add_argument("--resume", metavar="SWEEP",
                       help="go on with a stopped sweep: its trials not finished, each from its last saved epoch")
    sweep.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="values to try for one hyperparameter, e.g. --grid beta=0.1,1,3 (repeat for more)")
    sweep.add_argument("--epochs", type=int, help="epochs per trial (default: the recipe's)")
    sweep.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    sweep.add_argument("--name", metavar="NAME", help="sweep name (default: RECIPE-sweep-DATE-TIME)")
    sweep.add_argument("--backend", choices=BACKENDS,
                       help="local (default; with --resume: the sweep's own): a process pool on this machine; "
                            "ray: Ray tasks (needs Ray: pip install '.[ray]' in aetui's checkout)")
    sweep.add_argument("--workers", type=int, metavar="N",
                       help="local: trials at once (default: one per GPU, else 2)")
    sweep.add_argument("--address", metavar="ADDR", help="ray: join this Ray cluster (e.g. auto, or HOST:6379)")
    _rank_arg(sweep, "the best trial")
    _run_args(sweep, gpu=False)

    resume = sub.add_parser("resume", help="go on training a stopped, interrupted or diverged session")
    resume.add_argument("session", help="session name (see `aetui ls`) or folder")
    resume.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change a hyperparameter from here on, e.g. --set learning_rate=1e-4")
    resume.add_argument("--epochs", type=int, help="the new total number of epochs (default: the session's)")
    _detach_arg(resume)
    _run_args(resume, limit=False)
    tune = sub.add_parser("tune", help="change hyperparameters of a running session (any process, any machine "
                                       "sharing the store)")
    tune.add_argument("session", help="session name (see `aetui ls`) or folder")
    tune.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="the new value, e.g. --set beta=3 (repeatable: all apply from the same step)")
    tune.add_argument("--at-epoch", type=int, metavar="N",
                      help="plan the change for later: from the first batch of epoch N")
    tune.add_argument("--cancel", action="store_true", help="drop every change planned ahead")
    _sessions_arg(tune)
    planned = sub.add_parser("schedule", help="print a session's changes as a recipe's [[schedule]] tables")
    planned.add_argument("session", help="session name (see `aetui ls`) or folder")
    _sessions_arg(planned)
    for name, what in (("pause", "pause a running session after its current batch"),
                       ("continue", "go on with a paused session"),
                       ("stop", "stop a running session after its current batch (completed epochs stay saved)")):
        command = sub.add_parser(name, help=what)
        command.add_argument("session", help="session name (see `aetui ls`) or folder")
        _sessions_arg(command)
    evaluate = sub.add_parser("eval", help="the figures papers report, on the whole test set, stored in the session")
    evaluate.add_argument("session", help="session name (see `aetui ls`) or folder")
    evaluate.add_argument("--epoch", type=int, help="the epoch (default: the last, whose weights are kept)")
    evaluate.add_argument("--samples", type=int, default=100, metavar="K",
                          help="VAE: draws per image of the importance-weighted bound (default: 100)")
    _run_args(evaluate, limit=False, doing="evaluate")
    recipes = sub.add_parser("recipes", help="list the recipes, or the settings of one")
    recipes.add_argument("--settings", metavar="RECIPE",
                         help="the settings RECIPE takes (--set, aetui tune, the sliders): each name and short "
                              "name, its valid range, its value in the recipe and what it does")
    listing = sub.add_parser("ls", help="list the saved sessions, best test reconstruction error first, then the "
                                        "sweeps")
    _rank_arg(listing, "the sessions")
    listing.add_argument("--tree", action="store_true", help="each rerun or branch under the session it was made from")
    listing.add_argument("--limit", type=int, dest="most", metavar="N",
                         help="only the N newest sessions (of those the filters keep)")
    listing.add_argument("--since", metavar="DATE", help="only sessions made since DATE: YYYY-MM-DD, YYYY-MM-DD HH:MM "
                                                         "or YYYY-MM-DDTHH:MM[:SS] (local time unless it ends in a "
                                                         "zone, e.g. +0100), or an age: 30m, 12h, 3d, 2w")
    from aetui.core.families.registry import KINDS
    from aetui.core.store.meta import STATUSES

    listing.add_argument("--family", choices=KINDS, help="only sessions of this model family")
    listing.add_argument("--status", choices=(*STATUSES, "paused"), help="only sessions of this status")
    _sessions_arg(listing)

    from aetui.views.registry import NAMES

    show = sub.add_parser("show", help="print a view of a saved session")
    show.add_argument("session", help="session name (see `aetui ls`) or folder")
    show.add_argument("--view", choices=NAMES, default="curves", help="which view (default: curves)")
    show.add_argument("--epoch", type=int, help="the epoch to show (default: the last)")
    show.add_argument("--projection", choices=("pca", "tsne"), default="pca",
                      help="scatter of codes wider than 2: pca (default) or tsne")
    show.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS, help="ASCII images")
    _sessions_arg(show)

    open_ = sub.add_parser("open", help="open a saved session in the workbench's replay screen (a running one: attach to it)")
    open_.add_argument("session", help="session name or folder")
    _sessions_arg(open_)

    compare = sub.add_parser("compare", help="open sessions, or a whole sweep, side by side in the workbench")
    compare.add_argument("names", nargs="+", metavar="SESSION",
                         help="session names or folders (see `aetui ls`), or a sweep's name: each of its trials")
    _sessions_arg(compare)

    export = sub.add_parser("export", help="write PNGs, CSV and TensorBoard events of a session")
    export.add_argument("session", help="session name or folder")
    export.add_argument("--to", required=True, metavar="DIR", help="folder to write into (created if needed)")
    _sessions_arg(export)
    return parser


def _detach_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--detach", action="store_true",
                        help="train in a background process that outlives the terminal (its output goes to "
                             "the session's console.log); returns once the session exists")


def _run_args(parser: argparse.ArgumentParser, limit: bool = True, gpu: bool = True, doing: str = "train") -> None:
    """The options of a command that trains (or evaluates), also accepted after it: data, `--limit`, `--gpu`, store."""
    _data_args(parser, suppress=True)
    if limit:
        parser.add_argument("--limit", type=int, metavar="N", default=argparse.SUPPRESS,
                            help="train on the first N training images only")
    if gpu:
        parser.add_argument("--gpu", type=int, metavar="N", default=argparse.SUPPRESS, help=f"{doing} on GPU N only")
    _sessions_arg(parser)


def _sessions_arg(parser: argparse.ArgumentParser) -> None:
    """`--sessions` after a command as well as before it (`aetui ls --sessions DIR`)."""
    parser.add_argument("--sessions", metavar="DIR", default=argparse.SUPPRESS,
                        help="session store (default: $AETUI_SESSIONS or ./sessions)")


def _data_args(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """`--dataset` and `--data`; on a subcommand they may also follow it (`aetui train X --data P`)."""
    extra = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--dataset", help="auto, mnist, fashion-mnist or digits (default: auto)",
                        **({"default": "auto"} | extra))
    parser.add_argument("--data", metavar="PATH", help="folder of MNIST IDX files or a .npz (or $AETUI_DATA)",
                        **extra)


def _rank_arg(parser, what: str) -> None:
    from aetui.core import ranking

    parser.add_argument("--rank-by", choices=ranking.CHOICES, default=ranking.DEFAULT,
                        help=f"rank {what} by the test error per pixel: mse (squared error, the default) or bce "
                             "(binary cross-entropy), the same units for every model")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    import signal

    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # (before numpy starts a thread)
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
        if args.command == "eval":
            from aetui.commands.interrupts import sigint_through_one_thread

            sigint_through_one_thread()
        else:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        from aetui.core.backend import require_tensorflow

        require_tensorflow()
        if args.verbose and args.command is not None:  # (read by `backend.configure`, here and in a detached run)
            os.environ["AETUI_VERBOSE"] = "1"
        return _command(args.command)(args)
    except AetuiError as err:
        print(f"aetui: {_one_line(str(err))}", file=sys.stderr)
        return 2
    except OSError as err:  # the machine's answer about a path the user gave (too long, no room, ...)
        where = f"{err.filename}: " if err.filename else ""
        print(f"aetui: {_one_line(where + (err.strerror or str(err)))}", file=sys.stderr)
        return 2
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _one_line(text: str) -> str:
    """An error as one line a terminal shows as written (names in it may come from anyone's files)."""
    from aetui.core.text import printable

    return printable(" ".join(text.splitlines()))


def _command(name: str | None) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command `name` (None: the workbench), imported only once chosen
    (each module of `aetui.commands` is one subcommand, or a few close ones)."""
    if name in ("train", "resume"):
        from aetui.commands import train

        return getattr(train, name)
    if name == "schedule":
        from aetui.commands.schedule import schedule

        return schedule
    if name in ("rerun", "branch"):
        from aetui.commands import lineage

        return getattr(lineage, name)
    if name == "eval":
        from aetui.commands.evaluate import evaluate

        return evaluate
    if name == "sweep":
        from aetui.commands.sweep import sweep

        return sweep
    if name in ("tune", "pause", "continue", "stop"):
        from aetui.commands.control import control

        return control
    if name in ("recipes", "ls"):
        from aetui.commands import listing

        return getattr(listing, name)
    if name == "show":
        from aetui.commands.show import show

        return show
    if name == "export":
        from aetui.commands.export import export

        return export
    from aetui.commands.workbench import workbench  # (no command, open, compare)

    return workbench


if __name__ == "__main__":
    raise SystemExit(main())
