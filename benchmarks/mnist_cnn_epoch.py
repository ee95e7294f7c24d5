"""Train the seed MNIST CNN (SEEDS §4) for whole epochs and report test accuracy and wall time.

    python -m benchmarks.mnist_cnn_epoch [--epochs 1] [--bn-momentum 0.99] [--lr-decay 1] [--framework redes|tf]

Runs redes or, for comparison, the identical Keras model under TensorFlow, on all 60,000 training images.
``--lr-decay 0.5`` halves Adam's learning rate (0.001) after every epoch, as ``redes train --lr-decay 0.5``.
"""

from __future__ import annotations

import argparse
import os
import time

from redes import datasets


STEPS_PER_EPOCH = 469                   # 60,000 images in batches of 128


def build(framework: str, momentum: float, lr_decay: float):
    if framework == "tf":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        keras_layers, Sequential, optimizers = tf.keras.layers, tf.keras.Sequential, tf.keras.optimizers
        first = [tf.keras.Input((28, 28, 1))]
    else:
        from redes import Sequential, layers as keras_layers, optimizers
        first = [keras_layers.Input((28, 28, 1))]
    learning_rate = 1e-3 if lr_decay == 1 else optimizers.schedules.ExponentialDecay(
        1e-3, decay_steps=STEPS_PER_EPOCH, decay_rate=lr_decay, staircase=True)
    L = keras_layers
    model = Sequential(first + [
        L.Conv2D(32, 3, activation="relu"), L.BatchNormalization(momentum=momentum),
        L.Conv2D(64, 3, activation="relu"), L.BatchNormalization(momentum=momentum),
        L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.BatchNormalization(momentum=momentum),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--bn-momentum", type=float, default=0.99)
    parser.add_argument("--lr-decay", type=float, default=1.0)
    parser.add_argument("--framework", choices=["redes", "tf"], default="redes")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    x_train = x_train[..., None].astype("float32") / 255
    x_test = x_test[..., None].astype("float32") / 255
    model = build(args.framework, args.bn_momentum, args.lr_decay)
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, verbose=2)
    elapsed = time.perf_counter() - started
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{args.framework}: {args.epochs} epoch(s), BN momentum {args.bn_momentum}, lr decay {args.lr_decay}: "
          f"test accuracy {accuracy:.4f}, loss {loss:.4f}, training {elapsed:.1f} s "
          f"({elapsed / args.epochs / STEPS_PER_EPOCH * 1000:.0f} ms/step)")


if __name__ == "__main__":
    main()
