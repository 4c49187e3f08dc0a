"""How small a digit can be drawn and still be read: the measurement behind `figures.LEGIBLE`.

A digit's identity at `p` pixels a side is measured as how well a 3-nearest-neighbour classifier,
trained on the training digits at `p` pixels (cropped of their empty frame, then area-averaged down,
as `figures.resize` draws them), reads the test digits at `p` pixels, against the same at full size.
Given a session (a `vae-2d` one), it also reads its latent sweep's cells: the share of cells whose
digit read at `p` pixels is the one read at full size (each cell keeps its digit, or not).

    python bench/legibility.py MNIST_DIR [SESSION]
"""

from __future__ import annotations

import sys

import numpy as np


def shrunk(images: np.ndarray, pixels: int) -> np.ndarray:
    from aetui.views.figures import crop_border, resize

    return resize(crop_border(images), pixels).reshape(len(images), -1).astype(np.float32) / 255.0


def main(data_path: str, session: str | None = None) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    from aetui.core import data
    from aetui.core.analysis.images import as_images, to_u8

    digits = data.load("auto", data_path)
    shape = digits.image_shape
    rng = np.random.default_rng(0)
    train = rng.choice(len(digits.x_train), 10000, replace=False)
    test = rng.choice(len(digits.x_test), 2000, replace=False)
    x_train = to_u8(as_images(digits.x_train[train], shape))
    x_test = to_u8(as_images(digits.x_test[test], shape))
    y_train, y_test = digits.y_train[train], digits.y_test[test]
    cells = None
    if session:
        from pathlib import Path

        from aetui.core.store.sessions import open_session
        from aetui.views.replay import Replay

        replay = Replay(open_session(Path(session)))
        images, columns, how = replay.sweep(replay.last)
        cells = to_u8(images)
        print(f"sweep: {len(cells)} cells ({columns} a row) over {how}, epoch {replay.last}")
    native = x_train.shape[1] - 8
    read_full = None
    print("pixels  test accuracy  of full size  sweep cells read as at full size")
    for pixels in (native, 16, 14, 12, 11, 10, 9, 8, 7, 6, 5, 4):
        model = KNeighborsClassifier(3).fit(shrunk(x_train, pixels), y_train)
        accuracy = float((model.predict(shrunk(x_test, pixels)) == y_test).mean())
        if pixels == native:
            full = accuracy
        agree = ""
        if cells is not None:
            read = model.predict(shrunk(cells, pixels))
            read_full = read if read_full is None else read_full
            agree = f"{(read == read_full).mean():.1%}"
        print(f"{pixels:>6}  {accuracy:>13.1%}  {accuracy / full:>12.1%}  {agree:>8}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
