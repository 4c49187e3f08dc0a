"""The seed's way, end to end, as the Keras blog and the notebooks do it: build the network, then
`fit` with the test set as validation data every epoch, TensorFlow and Keras at their defaults.

    python bench/bare_fit.py MNIST_DIR EPOCHS

The data is read from the same IDX files as `aetui train --data` reads (keras.datasets cannot
download here), so both sides pay the same for it. The network is ae-32's: 784-32 (relu)-784
(sigmoid), binary cross-entropy, Adam, batch 256.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    from aetui.core.data import load_path

    data = load_path(Path(sys.argv[1]))
    epochs = int(sys.argv[2])
    import keras
    from keras import layers

    inputs = keras.Input(shape=(data.input_dim,))
    code = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(data.input_dim, activation="sigmoid")(code)
    autoencoder = keras.Model(inputs, outputs)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.fit(data.x_train, data.x_train, epochs=epochs, batch_size=256, shuffle=True,
                    validation_data=(data.x_test, data.x_test), verbose=0)


if __name__ == "__main__":
    main()
