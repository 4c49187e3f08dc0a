"""`aetui export`: a session as files other tools read: PNG images, CSV history, TensorBoard events.

`panel.png` and `recon-epoch-N.png` hold the stored bytes exactly (one pixel per stored pixel,
8-bit gray), so they decode back to the session's arrays. The pictures the workbench shows (digits
over reconstructions, the scatter, the sweep, the area map) are those of the views in
`aetui.views.registry` that have one, made by the same functions as on screen
(`aetui.views.figures`, through `aetui.views.show`), at their native size.
"""

from __future__ import annotations

import csv
import errno
from pathlib import Path

import numpy as np

from aetui.core.errors import AetuiError
from aetui.core.store import arrays
from aetui.core.store.files import FILE_MODE, Folder
from aetui.core.store.sessions import Session
from aetui.views.figures import tile
from aetui.views.registry import VIEWS
from aetui.views.replay import Replay


INCOMPLETE = "EXPORT-INCOMPLETE"
"""Written first into the export folder and removed last: while it is there, the export was cut
short (a full disk, a kill) and the folder holds only part of it."""


def atomic(path: Path, write) -> None:
    """`write(tmp_path)` on a new temporary file beside `path` (export's destination, outside the
    store), sync it, rename it to `path` (a link there is replaced, never followed), sync the folder."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.name)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    try:
        write(Path(tmp))
        with Folder.open(path.parent, follow=True) as folder:
            fd, _ = folder.open_read(Path(tmp).name)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            folder.sync()
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _png(path: Path, array: np.ndarray) -> Path:
    """`array` (gray or RGB; bytes, or floats in [0, 1] from a session someone else wrote) as a PNG."""
    from PIL import Image

    from aetui.core.analysis.images import to_u8

    atomic(path, lambda tmp: Image.fromarray(to_u8(array)).save(tmp, format="png"))
    return path


def export(session: Session, folder: Path, skipped: list[str] | None = None) -> list[Path]:
    """Write the session's images, history and TensorBoard events into `folder`; returns the files.

    Epochs whose snapshot is missing or damaged are left out; their reasons go into `skipped`.
    Every file is written to a temporary name and renamed into place, so a link planted at one of
    the names is replaced, never followed; a folder that cannot take it all is one line, and
    `EXPORT-INCOMPLETE` stays in it to say so (as it does after a kill).
    """
    replay = Replay(session)
    if not replay.epochs:
        raise AetuiError(f"{session.name} has no completed epoch to export")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / INCOMPLETE
        atomic(marker, lambda tmp: tmp.write_text(f"aetui export of {session.name} was cut short: this folder "
                                                  "holds only part of it; export again\n", encoding="utf-8"))
        written = _export(session, replay, folder, skipped if skipped is not None else [])
        marker.unlink()
    except OSError as err:
        cut = " (the export is incomplete: EXPORT-INCOMPLETE in it says so)" if (folder / INCOMPLETE).exists() else ""
        raise AetuiError(f"cannot write to {folder}: {err.strerror or err}{cut}") from None
    return written


def _export(session: Session, replay: Replay, folder: Path, skipped: list[str]) -> list[Path]:
    written: list[Path] = []
    shape = replay.image_shape
    fixed = replay.fixed
    panel = fixed["panel"].reshape(-1, *shape)
    written.append(_png(folder / "panel.png", tile(panel, len(panel))))
    skipped = skipped if skipped is not None else []
    for epoch in replay.pictured:  # (epochs faster than the snapshots have none of their own)
        try:
            recon = arrays.recon(replay.snapshot(epoch), fixed["panel"], replay.where(epoch)).reshape(-1, *shape)
        except AetuiError as err:  # a gap in the session: export the rest, and say what was left out
            skipped.append(str(err))
            continue
        written.append(_png(folder / f"recon-epoch-{epoch:04d}.png", tile(recon, len(recon))))
    last = max((e for e in replay.epochs if (session.path / "snapshots" / f"epoch-{e:04d}.npz").exists()),
               default=None)
    written.append(_history_csv(session, folder / "history.csv"))
    evaluations, problems = replay.evaluations
    skipped += problems
    if evaluations:
        written.append(_metrics_csv(evaluations, folder / "metrics.csv"))
    written.append(_tensorboard(replay, folder / "tensorboard", skipped))
    if last is None:
        return written
    return written + _figures(replay, folder, last)


def _figures(replay: Replay, folder: Path, epoch: int) -> list[Path]:
    """The pictures the workbench shows, as PNGs, at `epoch`: each view's that has one and applies
    to this session (the scatter with its key; the area map for 2-D codes only)."""
    return [_png(folder / f"{view.file}-epoch-{epoch:04d}.png", view.png(replay, epoch))
            for view in VIEWS if view.png is not None and view.applies(replay, epoch)]


def _metrics_csv(evaluations: dict, path: Path) -> Path:
    """`aetui eval`'s figures: a row per evaluated epoch, a column per figure."""
    keys = list(dict.fromkeys(k for e in evaluations.values() for k in e.metrics))

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", *keys, "iwae_samples", "data"])
            for epoch in sorted(evaluations):
                record = evaluations[epoch]
                writer.writerow([epoch, *(record.metrics.get(k, "") for k in keys), record.samples or "",
                                 record.data])

    atomic(path, write)
    return path


def _history_csv(session: Session, path: Path) -> Path:
    """One row per epoch: every loss, part and scalar statistic."""
    epochs = session.epochs
    log_keys = sorted({k for e in epochs for k in e.logs})
    stat_keys = sorted({k for e in epochs for k, v in e.stats.items() if isinstance(v, (int, float))})
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", "step", "seconds", *log_keys, *stat_keys])
            for e in epochs:
                writer.writerow([e.epoch, e.step, f"{e.seconds:.4f}", *(e.logs.get(k, "") for k in log_keys),
                                 *(e.stats.get(k, "") for k in stat_keys)])

    atomic(path, write)
    return path


def _events(tf, replay: Replay, folder: Path) -> None:
    """Write the event files with TensorFlow's summary writer."""
    shape = replay.image_shape
    writer = tf.summary.create_file_writer(str(folder))
    with writer.as_default():
        for e in replay.session.epochs:
            for key, value in e.logs.items():
                tf.summary.scalar(key if key.startswith("val_") else f"train_{key}", value, step=e.epoch)
            for key, value in e.stats.items():
                if isinstance(value, (int, float)):
                    tf.summary.scalar(f"stats/{key}", value, step=e.epoch)
            if not e.pictured:
                continue
            try:
                recon = arrays.recon(replay.snapshot(e.epoch), replay.fixed["panel"],
                                     replay.where(e.epoch)).reshape(-1, *shape, 1)
            except AetuiError:
                continue  # already reported as skipped
            tf.summary.image("reconstructions", recon, step=e.epoch, max_outputs=len(recon))
        for c in replay.session.changes:
            tf.summary.text("hyperparameters", f"{c.name}: {c.old:g} -> {c.new:g} from batch {c.step}",
                            step=c.epoch)
    writer.flush()
    writer.close()


def _tensorboard(replay: Replay, folder: Path, skipped: list[str]) -> Path:
    """TensorBoard event files: scalars per epoch, reconstructions as images, changes as text."""
    from aetui.core import backend

    if folder.is_symlink():  # a planted link: replaced by a folder of our own, its target left alone
        folder.unlink()
    backend.configure()
    import tensorflow as tf

    try:
        _events(tf, replay, folder)
    except tf.errors.OpError as err:  # (TensorFlow's own kind of a full disk)
        raise OSError(errno.EIO, err.message.strip().splitlines()[0].split("; ")[-1]) from None
    return folder
