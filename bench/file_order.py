"""A plain Keras `fit` that validates a sparse-KL autoencoder on MNIST's test file, as the seed
notebooks do, reports a penalty that depends on the order of that file. No aetui code here: the
model, its loss and the reading of the IDX files are in this script.

    python bench/file_order.py MNIST_FOLDER [--epochs 10] [--batch-size 256] [--permutations 5]

The model is the seed's `sparse-kl`: 784 -> 196 sigmoid units -> 784, per-pixel MSE plus
beta * sum over units of KL(p || the unit's mean activation over the batch), p = 0.05, beta = 3,
the penalty added by a layer (`add_loss`, which no Keras version divides by the batch size).
After training, the same weights are evaluated by `model.evaluate` on the test file in its order
and on shuffled copies, each in batches of `--batch-size` (what `fit(validation_data=...)` does),
and the penalty is computed once from each unit's mean activation over all 10,000 test digits.
Printed: the figures, and the ink of the file's two halves (their mean pixel), which is why the
order matters: a batch of lighter digits moves every unit's mean activation one way, a batch of
darker ones the other, and the convex KL charges both.
"""

from __future__ import annotations

import argparse
import gzip
import os
import struct
import sys
from pathlib import Path

import numpy as np

P, BETA, CODE = 0.05, 3.0, 196


def idx_images(path: Path) -> np.ndarray:
    """The images of an IDX file (gzipped or not) as floats in [0, 1], one row each."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        sys.exit(f"{path} is not an IDX image file")
    return np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows * cols).astype(np.float32) / 255


def found(folder: Path, *names: str) -> Path:
    for name in names:
        for suffix in (".gz", ""):
            if (folder / (name + suffix)).exists():
                return folder / (name + suffix)
    sys.exit(f"no {names[0]}[.gz] in {folder}")


def kl(means: np.ndarray) -> float:
    rho = np.clip(means.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(BETA * (P * np.log(P / rho) + (1 - P) * np.log((1 - P) / (1 - rho))).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a folder with MNIST's IDX files (train-images-idx3-ubyte[.gz], ...)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256, help="training and validation batch size")
    parser.add_argument("--permutations", type=int, default=5, help="shuffled copies of the test set evaluated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from keras import ops

    x_train = idx_images(found(args.data, "train-images-idx3-ubyte"))
    x_test = idx_images(found(args.data, "t10k-images-idx3-ubyte"))
    keras.utils.set_random_seed(args.seed)

    class KLSparsity(keras.layers.Layer):
        """beta * sum over units of KL(p || the unit's mean activation over the batch), as a loss."""

        def call(self, code):
            rho = ops.clip(ops.mean(code, axis=0), 1e-7, 1 - 1e-7)
            self.add_loss(BETA * ops.sum(P * ops.log(P / rho) + (1 - P) * ops.log((1 - P) / (1 - rho))))
            return code

    image = keras.Input((x_train.shape[1],))
    code = KLSparsity()(keras.layers.Dense(CODE, activation="sigmoid")(image))
    encoder = keras.Model(image, code)
    model = keras.Model(image, keras.layers.Dense(x_train.shape[1], activation="sigmoid")(code))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x_train, x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0,
                        validation_data=(x_test, x_test))
    codes = encoder.predict(x_test, batch_size=1024, verbose=0)
    recon = model.predict(x_test, batch_size=1024, verbose=0)
    mse = float(np.mean((recon.astype(np.float64) - x_test) ** 2))

    def evaluated(x) -> float:
        return float(model.evaluate(x, x, batch_size=args.batch_size, verbose=0))

    rng = np.random.default_rng(args.seed)
    in_order = evaluated(x_test)
    shuffled = [evaluated(x_test[rng.permutation(len(x_test))]) for _ in range(args.permutations)]
    whole = kl(codes.mean(axis=0))
    half = len(x_test) // 2
    print(f"sparse-KL autoencoder (784-{CODE}-784, p = {P}, beta = {BETA}), {args.epochs} epochs on "
          f"{len(x_train):,} training digits, batch {args.batch_size}; Keras {keras.__version__}")
    print(f"training loss, last epoch:                          {history.history['loss'][-1]:.4f}")
    print(f"fit's val_loss, last epoch (test file in its order): {history.history['val_loss'][-1]:.4f}")
    print(f"the same weights on the {len(x_test):,} test digits, batches of {args.batch_size}:  loss   KL part")
    print(f"  in the file's order                                {in_order:.4f}  {in_order - mse:.4f}")
    for n, value in enumerate(shuffled, 1):
        print(f"  shuffled ({n})                                       {value:.4f}  {value - mse:.4f}")
    print(f"  KL once, from the mean activation over all of them {mse + whole:.4f}  {whole:.4f}")
    print(f"  reconstruction part (MSE per pixel), every time:   {mse:.4f}")
    print(f"ink (mean pixel): test digits 1-{half:,}: {x_test[:half].mean():.4f}; {half + 1:,}-{len(x_test):,}: "
          f"{x_test[half:].mean():.4f}")


if __name__ == "__main__":
    main()
