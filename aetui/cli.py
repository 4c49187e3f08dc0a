"""The `aetui` command: headless training and listings.

User errors (`AetuiError`) print one line and exit with status 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from aetui import paths
from aetui.core.errors import AetuiError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aetui", description="A terminal workbench for autoencoders.")
    parser.add_argument("--sessions", metavar="DIR", help="session store (default: $AETUI_SESSIONS or ./sessions)")
    sub = parser.add_subparsers(dest="command")

    train = sub.add_parser("train", help="train a recipe headless, writing a session")
    train.add_argument("recipe", help="recipe name (see `aetui recipes`) or path to a .toml file")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a hyperparameter, e.g. --set beta=3 (repeatable)")
    train.add_argument("--epochs", type=int, help="number of epochs (default: the recipe's)")
    train.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    _data_args(train)
    train.add_argument("--limit", type=int, metavar="N", help="train on the first N training images only")
    train.add_argument("--session", metavar="NAME", help="session name (default: RECIPE-DATE-TIME)")
    train.add_argument("--gpu", type=int, metavar="N", help="train on GPU N only")

    sub.add_parser("recipes", help="list the recipes")
    sub.add_parser("ls", help="list the saved sessions")
    return parser


def _data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="auto", help="auto, mnist, fashion-mnist or digits (default: auto)")
    parser.add_argument("--data", metavar="PATH", help="folder of MNIST IDX files or a .npz (or $AETUI_DATA)")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "recipes":
            return _recipes()
        if args.command == "ls":
            return _ls(args)
        parser.print_help()
        return 0
    except AetuiError as err:
        print(f"aetui: {err}", file=sys.stderr)
        return 2


def _recipes() -> int:
    from rich.console import Console
    from rich.table import Table

    from aetui.core import recipe

    table = Table(title="Recipes", title_justify="left")
    for col in ("name", "kind", "code", "tunes", "description"):
        table.add_column(col, overflow="fold")
    for name, path in sorted(recipe.discover(paths.recipe_dirs()).items()):
        try:
            r = recipe.load_file(path)
        except AetuiError as err:
            table.add_row(name, "[red]broken[/]", "", "", f"[red]{err}[/]")
            continue
        table.add_row(name, r.kind, str(r.net["code"]), " ".join(r.tunables), r.description)
    Console().print(table)
    return 0


def _ls(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from aetui.core import sessions

    store = paths.session_store(args.sessions)
    found = sessions.list_sessions(store)
    console = Console()
    if not found:
        console.print(f"No sessions in {store} yet: try `aetui train ae-32 --epochs 2`.")
        return 0
    table = Table(title=f"Sessions in {store}", title_justify="left")
    for col in ("name", "model", "dataset", "epochs", "best val loss", "status", "created"):
        table.add_column(col, overflow="fold")
    for s in found:
        best = s.best_val_loss
        table.add_row(s.name, s.meta.get("recipe", {}).get("name", "?"), s.meta.get("dataset", {}).get("name", "?"),
                      f"{s.epochs_done}/{s.meta.get('epochs', '?')}", "-" if best is None else f"{best:.4g}",
                      s.status, str(s.meta.get("created", ""))[:16].replace("T", " "))
    console.print(table)
    return 0


def _train(args) -> int:
    from aetui.core import data, hparams, recipe, training
    from aetui.headless import ConsoleReporter

    r = recipe.find(args.recipe, paths.recipe_dirs())
    overrides = hparams.parse_assignments(args.set, r.tunables)
    for flag, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size)):
        if value is not None and value < 1:
            raise AetuiError(f"{flag} must be at least 1, got {value}")
    dataset = data.load(args.dataset, args.data).limited(args.limit)
    reporter = ConsoleReporter(r, dataset)
    controls = training.Controls(r.tunables)
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["path"] = training.train(r, dataset, paths.session_store(args.sessions), params=overrides,
                                             epochs=args.epochs, batch_size=args.batch_size, name=args.session,
                                             on_event=reporter, controls=controls, gpu=args.gpu)
        except BaseException as err:  # handed to the main thread, which re-raises it
            outcome["error"] = err

    def interrupt(signum, frame) -> None:
        if controls.stop_event.is_set():
            raise KeyboardInterrupt
        reporter.say("Stopping after this batch (completed epochs are saved); press Ctrl-C again to abort.")
        controls.stop()

    previous = signal.signal(signal.SIGINT, interrupt)
    worker = threading.Thread(target=work, name="aetui-train", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        signal.signal(signal.SIGINT, previous)
        reporter.close()
    if "error" in outcome:
        raise outcome["error"]
    return 0 if reporter.status in ("finished", "stopped") else 1


if __name__ == "__main__":
    raise SystemExit(main())
