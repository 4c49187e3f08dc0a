"""The convolutional families beside plain Keras: `conv-vae` trained by aetui and the Keras
example's VAE (the same network: 3x3 convolutions of 32 and 64 filters, stride 2, a dense layer
of 16, a 2-D code, its mirror to decode; per-image BCE sum + KL, Adam, batch 128) trained by its
own `fit`; then `conv-ae`'s per-pixel test error beside `ae-32`'s. Prints one line per run: test
loss (the objective on the test set), per-pixel test error, training samples per second.

    python bench/conv_keras.py DATA EPOCHS [LIMIT]
    python bench/conv_keras.py speed DATA EPOCHS LIMIT MODE RECIPE

The second form is `make bench`'s probe of training speed: one JSON line, the median samples/s of
the epochs after the first, trained by aetui's engine (MODE `aetui`: its epochs' training time,
as each session records it) or by plain Keras's `fit` of the same network (`keras`: timed per
epoch by a callback), for `conv-vae` or `conv-ae`.

DATA is an MNIST folder (`../shared/data/mnist`) or `digits`; LIMIT trains on that many images.
The Keras example: 146.95 after 30 epochs on 70,000 digits (it trains on train and test together;
here both sides train on the training set and are measured on the test set).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def keras_vae(data, epochs: int, timer=None) -> tuple[float, float, float]:
    """The Keras example's VAE by its own `fit`: (test loss, test MSE per pixel, samples/s)."""
    import keras
    import numpy as np
    from keras import layers, ops

    side = int(np.sqrt(data.input_dim))
    keras.utils.set_random_seed(0)

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            mean, log_var = inputs
            return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.seed_generator)

    x_in = keras.Input((side, side, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(x_in)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Dense(16, activation="relu")(layers.Flatten()(x))
    mean, log_var = layers.Dense(2)(x), layers.Dense(2)(x)
    encoder = keras.Model(x_in, [mean, log_var, Sampling()([mean, log_var])])
    z_in = keras.Input((2,))
    small = side // 4
    x = layers.Reshape((small, small, 64))(layers.Dense(small * small * 64, activation="relu")(z_in))
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder = keras.Model(z_in, layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x))

    class VAE(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def objective(self, images):
            m, lv, z = self.encoder(images)
            recon = self.decoder(z)
            bce = ops.sum(keras.losses.binary_crossentropy(images, recon), axis=(1, 2))
            kl = ops.sum(-0.5 * (1 + lv - ops.square(m) - ops.exp(lv)), axis=1)
            return ops.mean(bce + kl)

        def train_step(self, images):
            import tensorflow as tf

            with tf.GradientTape() as tape:
                loss = self.objective(images)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.tracker.update_state(loss)
            return {"loss": self.tracker.result()}

        def test_step(self, images):
            self.tracker.update_state(self.objective(images), sample_weight=ops.shape(images)[0])
            return {"loss": self.tracker.result()}

    vae = VAE()
    vae.compile(optimizer=keras.optimizers.Adam())
    x_train = data.x_train.reshape(-1, side, side, 1)
    x_test = data.x_test.reshape(-1, side, side, 1)
    started = time.perf_counter()
    vae.fit(x_train, epochs=epochs, batch_size=128, verbose=0, callbacks=[timer] if timer else [])
    seconds = time.perf_counter() - started
    test_loss = float(vae.evaluate(x_test, batch_size=1000, verbose=0, return_dict=True)["loss"])
    recon = decoder.predict(encoder.predict(x_test, batch_size=1000, verbose=0)[0], batch_size=1000, verbose=0)
    mse = float(((recon.reshape(len(x_test), -1) - data.x_test) ** 2).mean())
    return test_loss, mse, epochs * len(x_train) / seconds


def keras_conv_ae(data, epochs: int, timer) -> None:
    """`conv-ae`'s network (3x3 convolutions of 16 and 32 filters, stride 2, a 32-unit relu code,
    transposed convolutions back; per-pixel BCE, Adam, batch 128) by plain Keras's `fit`."""
    import keras
    from keras import layers

    side = int(data.input_dim ** 0.5)
    keras.utils.set_random_seed(0)
    x_in = keras.Input((side, side, 1))
    x = layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(x_in)
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(x)
    code = layers.Dense(32, activation="relu")(layers.Flatten()(x))
    small = side // 4
    x = layers.Reshape((small, small, 32))(layers.Dense(small * small * 32, activation="relu")(code))
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(x)
    model = keras.Model(x_in, layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    images = data.x_train.reshape(-1, side, side, 1)
    model.fit(images, images, epochs=epochs, batch_size=128, verbose=0, callbacks=[timer])


def train_speed(source: str, epochs: int, limit: int, mode: str, name: str) -> None:
    """Print the median training samples/s of epochs 2.. of `name` by `mode` (see the docstring)."""
    import json
    import statistics

    from aetui.core import data as datasets

    data = (datasets.load("digits") if source == "digits" else datasets.load_path(Path(source))).limited(limit)
    if mode == "aetui":
        from aetui.core import recipe
        from aetui.core.store import paths, sessions
        from aetui.core.training import trainer

        with tempfile.TemporaryDirectory() as store:
            r = recipe.find(name, [paths.builtin_recipes()])
            session = sessions.open_session(trainer.train(r, data, Path(store), epochs=epochs, batch_interval=1.0))
            rates = [e.samples_per_s for e in session.epochs[1:]]
    else:
        import keras

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                rates.append(len(data.x_train) / (time.perf_counter() - self.started))

        rates: list[float] = []
        if name == "conv-vae":
            keras_vae(data, epochs, Timer())
        else:
            keras_conv_ae(data, epochs, Timer())
        rates = rates[1:]
    print(json.dumps({"recipe": name, "mode": mode, "rate": statistics.median(rates)}))


def aetui_run(name: str, data, epochs: int, store: Path) -> tuple[float, float, float]:
    """`name` trained by aetui: (test loss, test MSE per pixel, samples/s) of its last epoch."""
    from aetui.core import recipe
    from aetui.core.store import paths, sessions
    from aetui.core.training import trainer

    r = recipe.find(name, [paths.builtin_recipes()])
    started = time.perf_counter()
    session = sessions.open_session(trainer.train(r, data, store, epochs=epochs, batch_interval=1.0))
    seconds = time.perf_counter() - started
    logs = session.epochs[-1].logs
    return float(logs["val_loss"]), float(session.epochs[-1].stats["test_mse_pixel"]), \
        epochs * len(data.x_train) / seconds


def main() -> None:
    from aetui.core import data as datasets

    if sys.argv[1] == "speed":
        train_speed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
        return

    source, epochs = sys.argv[1], int(sys.argv[2])
    data = datasets.load("digits") if source == "digits" else datasets.load_path(Path(source))
    if len(sys.argv) > 3:
        data = data.limited(int(sys.argv[3]))
    with tempfile.TemporaryDirectory() as store:
        rows = [("conv-vae (aetui)", aetui_run("conv-vae", data, epochs, Path(store))),
                ("conv-vae (plain Keras fit)", keras_vae(data, epochs)),
                ("conv-ae (aetui)", aetui_run("conv-ae", data, epochs, Path(store))),
                ("ae-32 (aetui)", aetui_run("ae-32", data, epochs, Path(store)))]
    print(f"{data.name}, {len(data.x_train):,} training and {len(data.x_test):,} test images, {epochs} epoch(s)")
    for label, (loss, mse, speed) in rows:
        print(f"{label:28} test loss {loss:10.4g}  test MSE/pixel {mse:.5f}  {speed:10,.0f} samples/s")


if __name__ == "__main__":
    main()
