"""A first training run: ``python -m redes.demo`` (or the ``redes-demo`` command).

Trains an MLP (default) or the seed CNN on MNIST or Fashion-MNIST and reports test accuracy.
"""

from __future__ import annotations

import argparse
import time

from . import datasets, layers, optimizers
from .models import RedeNeural, Sequential


def build_cnn() -> Sequential:
    """The MNIST CNN with BatchNormalization from the batch-normalization notes (SEEDS §4)."""
    return Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.BatchNormalization(),
        layers.Conv2D(64, 3, activation="relu"), layers.BatchNormalization(),
        layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    loader = datasets.load_mnist if args.dataset == "mnist" else datasets.load_fashion_mnist
    (x_train, y_train), (x_test, y_test) = loader()
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    if args.model == "cnn":
        model = build_cnn()
        x_train, x_test = x_train[..., None], x_test[..., None]
    else:
        model = RedeNeural([784, 300, 100, 10], activation="relu", output_activation="softmax")
        x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_data=(x_test, y_test))
    elapsed = time.perf_counter() - started
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{args.model} on {args.dataset}: test accuracy {accuracy:.4f}, loss {loss:.4f}, "
          f"{args.epochs} epoch(s) in {elapsed:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
