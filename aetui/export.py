"""`aetui export`: a session as files other tools read: PNG images, CSV history, TensorBoard events.

PNGs hold the stored bytes exactly (one pixel per stored pixel, 8-bit gray), so they decode
back to the session's arrays; scatter and area maps are drawn in the class colours.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from aetui.core.errors import AetuiError
from aetui.core.replay import Replay
from aetui.core.sessions import Session
from aetui.render import CLASS_RGB, grid_positions


def tile(images: np.ndarray, columns: int, gap: int = 0) -> np.ndarray:
    """N x H x W uint8 images tiled into one image, `columns` per row, `gap` black pixels between."""
    n, h, w = images.shape
    rows = -(-n // columns)
    out = np.zeros((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return out


LEGEND_WIDTH = 64
"""Pixels to the right of the scatter for its key: a swatch and the class per row."""
CAPTION_HEIGHT = 16


def scatter_image(points: np.ndarray, labels: np.ndarray, size: int = 480, caption: str = "") -> np.ndarray:
    """A size x size RGB scatter of points coloured by class, on black, with the key to the colours
    at the right and, below, `caption` (what the two axes are)."""
    from PIL import Image, ImageDraw

    img = np.zeros((size, size, 3), np.uint8)
    xs, ys, _, _ = grid_positions(points, size - 4, size - 4)  # a 2-pixel margin for the 3x3 dots
    for x, y, lab in zip(xs + 2, ys + 2, labels):
        img[y - 1:y + 2, x - 1:x + 2] = CLASS_RGB[int(lab) % len(CLASS_RGB)]
    canvas = Image.new("RGB", (size + LEGEND_WIDTH, size + (CAPTION_HEIGHT if caption else 0)), (0, 0, 0))
    canvas.paste(Image.fromarray(img), (0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.line([(size, 0), (size, size)], fill=(80, 80, 80))
    for row, lab in enumerate(np.unique(labels).astype(int)):
        top = 8 + row * 18
        draw.rectangle([size + 10, top, size + 21, top + 11], fill=tuple(CLASS_RGB[lab % len(CLASS_RGB)]))
        draw.text((size + 28, top), str(lab), fill=(230, 230, 230))
    if caption:
        draw.text((4, size + 3), caption[: size // 6], fill=(200, 200, 200))
    return np.asarray(canvas)


def _png(path: Path, array: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(array).save(path)
    return path


def export(session: Session, folder: Path, skipped: list[str] | None = None) -> list[Path]:
    """Write the session's images, history and TensorBoard events into `folder`; returns the files.

    Epochs whose snapshot is missing or damaged are left out; their reasons go into `skipped`.
    """
    replay = Replay(session)
    if not replay.epochs:
        raise AetuiError(f"{session.name} has no completed epoch to export")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AetuiError(f"cannot create {folder}: {err}") from None
    written: list[Path] = []
    shape = replay.image_shape
    fixed = replay.fixed
    panel = fixed["panel"].reshape(-1, *shape)
    written.append(_png(folder / "panel.png", tile(panel, len(panel))))
    skipped = skipped if skipped is not None else []
    for epoch in replay.epochs:
        try:
            snap = replay.snapshot(epoch)
        except AetuiError as err:  # a gap in the session: export the rest, and say what was left out
            skipped.append(str(err))
            continue
        recon = snap["recon"].reshape(-1, *shape)
        written.append(_png(folder / f"recon-epoch-{epoch:04d}.png", tile(recon, len(recon))))
    last = max((e for e in replay.epochs if (session.path / "snapshots" / f"epoch-{e:04d}.npz").exists()),
               default=None)
    written.append(_history_csv(session, folder / "history.csv"))
    written.append(_tensorboard(replay, folder / "tensorboard", skipped))
    if last is None:
        return written
    snap = replay.snapshot(last)
    columns = len(snap["sweep_xs"])
    written.append(_png(folder / f"sweep-epoch-{last:04d}.png", tile(snap["sweep"].reshape(-1, *shape), columns)))
    points, how = replay.projection(last)
    written.append(_png(folder / f"scatter-epoch-{last:04d}.png",
                        scatter_image(points, fixed["subset_labels"], caption=f"epoch {last}: {how}")))
    return written


def _history_csv(session: Session, path: Path) -> Path:
    """One row per epoch: every loss, part and scalar statistic."""
    epochs = session.epochs
    log_keys = sorted({k for e in epochs for k in e.logs})
    stat_keys = sorted({k for e in epochs for k, v in e.stats.items() if isinstance(v, (int, float))})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "step", "seconds", *log_keys, *stat_keys])
        for e in epochs:
            writer.writerow([e.epoch, e.step, f"{e.seconds:.4f}", *(e.logs.get(k, "") for k in log_keys),
                             *(e.stats.get(k, "") for k in stat_keys)])
    return path


def _tensorboard(replay: Replay, folder: Path, skipped: list[str]) -> Path:
    """TensorBoard event files: scalars per epoch, reconstructions as images, changes as text."""
    from aetui.core import backend

    backend.configure()
    import tensorflow as tf

    shape = replay.image_shape
    writer = tf.summary.create_file_writer(str(folder))
    with writer.as_default():
        for e in replay.session.epochs:
            for key, value in e.logs.items():
                tf.summary.scalar(key if key.startswith("val_") else f"train_{key}", value, step=e.epoch)
            for key, value in e.stats.items():
                if isinstance(value, (int, float)):
                    tf.summary.scalar(f"stats/{key}", value, step=e.epoch)
            try:
                recon = replay.snapshot(e.epoch)["recon"].reshape(-1, *shape, 1)
            except AetuiError:
                continue  # already reported as skipped
            tf.summary.image("reconstructions", recon, step=e.epoch, max_outputs=len(recon))
        for c in replay.session.changes:
            tf.summary.text("hyperparameters", f"{c.name}: {c.old:g} -> {c.new:g} from batch {c.step}",
                            step=c.epoch)
    writer.flush()
    writer.close()
    return folder
