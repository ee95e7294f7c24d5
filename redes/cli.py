"""The ``redes`` command: train a preset model on a dataset, or evaluate a saved one.

    redes train [--dataset mnist] [--model mlp] [--epochs 1] [--batch-size 128] [--optimizer adam]
                [--learning-rate LR] [--lr-decay RATE] [--out DIR] [--quick] [--augment] [--seed S]
                [--verbose {0,1,2}]
    redes evaluate MODEL [--dataset mnist] [--quick] [--batch-size 128]

``redes train`` alone trains the MLP on MNIST for one epoch. It keeps the last 5,000 training images
for validation (the classic split), reports the test accuracy, and writes to ``--out``:
``model.redes`` (``redes.load_model``), ``history.csv`` (one row per epoch), ``results.json`` (the
test accuracy and wall time), ``learning_curves.png``, ``confusion_matrix.png`` and ``predictions.png``.
``--quick`` trains on 4,000 images, validates on 1,000 and tests on 2,000: a check in seconds.
``--lr-decay 0.5`` halves the learning rate after every epoch (``schedules.ExponentialDecay``, staircase).

Presets (``PRESETS``), for images (H, W, C) and K classes:
    mlp     Flatten → Dense(300, relu) → Dropout(0.2) → Dense(100, relu) → Dropout(0.2) → Dense(K, softmax)
    cnn     two blocks Conv2D(32 | 64, 3×3, same, relu) → MaxPooling2D(2), then Flatten → Dropout(0.3)
            → Dense(128, relu) → Dropout(0.3) → Dense(K, softmax)
    bn-cnn  the MNIST CNN of the batch-normalization notes: Conv2D(32, 3×3, relu) → BatchNormalization →
            Conv2D(64, 3×3, relu) → BatchNormalization → MaxPooling2D(2) → Flatten → Dense(128, relu)
            → BatchNormalization → Dense(K, softmax)
    lstm    each image as a sequence of its H rows: Reshape(H, W·C) → LSTM(128) → Dense(K, softmax)
    gru     the same with GRU(128)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy

from . import backend, callbacks, datasets, distributed, layers, optimizers, plotting
from .layers.base import Layer
from .models import Sequential
from .saving import load_model
from .validation import check_float, check_one_of, check_positive_int

VALIDATION_SIZE = 5000
QUICK_SIZES = {"train": 4000, "validation": 1000, "test": 2000}
OPTIMIZERS = ("adam", "adamw", "sgd", "nadam", "rmsprop", "adagrad", "adadelta", "adamax", "lion", "gd")


class Dataset(NamedTuple):
    load: Callable
    class_names: tuple[str, ...]


DATASETS = {
    "mnist": Dataset(datasets.load_mnist, tuple(str(digit) for digit in range(10))),
    "fashion-mnist": Dataset(datasets.load_fashion_mnist, datasets.FASHION_MNIST_CLASS_NAMES),
    "cifar10": Dataset(datasets.load_cifar10, datasets.CIFAR10_CLASS_NAMES),
}


# --------------------------------------------------------------------------- presets
def mlp(input_shape: tuple, num_classes: int) -> list[Layer]:
    """784-300-100-10 on MNIST: two ReLU layers, each followed by Dropout(0.2)."""
    return [layers.Flatten(), layers.Dense(300, activation="relu"), layers.Dropout(0.2),
            layers.Dense(100, activation="relu"), layers.Dropout(0.2), layers.Dense(num_classes, activation="softmax")]


def cnn(input_shape: tuple, num_classes: int) -> list[Layer]:
    """Two convolution blocks and a dense layer, for Fashion-MNIST (and CIFAR-10)."""
    return [layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(0.3), layers.Dense(128, activation="relu"), layers.Dropout(0.3),
            layers.Dense(num_classes, activation="softmax")]


def bn_cnn(input_shape: tuple, num_classes: int) -> list[Layer]:
    """The MNIST CNN with BatchNormalization of the batch-normalization notes (SEEDS §4); 99 %: --lr-decay 0.5."""
    return [layers.Conv2D(32, 3, activation="relu"), layers.BatchNormalization(),
            layers.Conv2D(64, 3, activation="relu"), layers.BatchNormalization(),
            layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dense(128, activation="relu"), layers.BatchNormalization(),
            layers.Dense(num_classes, activation="softmax")]


def lstm(input_shape: tuple, num_classes: int) -> list[Layer]:
    """Each image read as a sequence of its H rows (W·C values each) by an LSTM(128)."""
    return _rows(input_shape) + [layers.LSTM(128), layers.Dense(num_classes, activation="softmax")]


def gru(input_shape: tuple, num_classes: int) -> list[Layer]:
    """Each image read as a sequence of its H rows (W·C values each) by a GRU(128)."""
    return _rows(input_shape) + [layers.GRU(128), layers.Dense(num_classes, activation="softmax")]


def _rows(input_shape: tuple) -> list[Layer]:
    height, width, channels = input_shape
    return [layers.Reshape((height, width * channels))]


PRESETS: dict[str, Callable[[tuple, int], list[Layer]]] = {"mlp": mlp, "cnn": cnn, "bn-cnn": bn_cnn, "lstm": lstm,
                                                           "gru": gru}


def augmentation_layers(dataset: str) -> list[Layer]:
    """Shifts of up to 10 % for every dataset, and left-right flips where they keep the class (not digits)."""
    flips = [] if dataset == "mnist" else [layers.RandomFlip("horizontal")]
    return [*flips, layers.RandomTranslation(0.1, 0.1, fill_mode="constant")]


def build_model(preset: str, input_shape: tuple, num_classes: int = 10, augment: Sequence[Layer] = ()) -> Sequential:
    """The preset's Sequential for images ``input_shape`` (H, W, C), with ``augment`` layers after the Input."""
    check_one_of("preset", preset, tuple(PRESETS))
    return Sequential([layers.Input(tuple(input_shape)), *augment, *PRESETS[preset](input_shape, num_classes)],
                      name=preset.replace("-", "_"))


# ------------------------------------------------------------------------------ data
def load_images(dataset: str, quick: bool = False) -> dict[str, tuple[numpy.ndarray, numpy.ndarray]]:
    """{'train', 'validation', 'test'}: (images (N, H, W, C) float32 in [0, 1], labels (N,) uint8).

    The validation set is the last 5,000 training images; ``quick`` keeps the first 4,000 / 1,000 / 2,000.
    """
    (x_train, y_train), (x_test, y_test) = DATASETS[check_one_of("dataset", dataset, tuple(DATASETS))].load()

    def prepare(x):
        return datasets.scale_images(datasets.add_channel_axis(x) if x.ndim == 3 else x)

    train, validation = datasets.train_validation_split(prepare(x_train), y_train, VALIDATION_SIZE)
    splits = {"train": train, "validation": validation, "test": (prepare(x_test), y_test)}
    if quick:
        splits = {name: (x[:QUICK_SIZES[name]], y[:QUICK_SIZES[name]]) for name, (x, y) in splits.items()}
    return splits


# --------------------------------------------------------------------------- commands
def make_optimizer(name: str, learning_rate: float | None = None, lr_decay: float = 1.0,
                   steps_per_epoch: int = 1) -> optimizers.Optimizer:
    """The optimizer ``name`` at ``learning_rate`` (its Keras default if None), times ``lr_decay`` each epoch.

    Example:
        >>> make_optimizer("adam", 1e-3, lr_decay=0.5, steps_per_epoch=430).learning_rate
        0.001
    """
    optimizer = optimizers.get(name)
    initial = optimizer.learning_rate if learning_rate is None else learning_rate
    if lr_decay == 1.0:
        return type(optimizer)(learning_rate=initial)
    schedule = optimizers.schedules.ExponentialDecay(initial, decay_steps=steps_per_epoch, decay_rate=lr_decay,
                                                     staircase=True)
    return type(optimizer)(learning_rate=schedule)


def _save_plots(out: Path, history, x_test, y_test, probabilities, class_names) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")                       # files only: no window, no display needed
    import matplotlib.pyplot as plt

    figures = {"learning_curves.png": plotting.plot_history(history, save_path=out / "learning_curves.png"),
               "confusion_matrix.png": plotting.plot_confusion_matrix(
                   y_test, probabilities, class_names=class_names, save_path=out / "confusion_matrix.png"),
               "predictions.png": plotting.plot_predictions(
                   x_test[:25], y_test[:25], probabilities[:25], class_names=class_names,
                   save_path=out / "predictions.png")}
    for figure in figures.values():
        plt.close(figure)
    return list(figures)


def _batch_norm_note(model: Sequential, steps: int) -> str | None:
    """A warning when BatchNormalization's moving statistics still hold over 1 % of their initial values.

    Inference (evaluate, predict) normalizes with moving averages that forget their start (mean 0,
    variance 1) as momentum**steps: with Keras' momentum 0.99 that takes about 460 steps, and the
    tiny variances of scaled-image activations make what is left matter (a --quick run's 32 steps
    leave the test accuracy near chance while the training accuracy is high).
    """
    remaining = max((layer.momentum ** steps for layer in model.layers
                     if isinstance(layer, layers.BatchNormalization)), default=0.0)
    if remaining <= 0.01:
        return None
    return (f"Note: after {steps} steps the BatchNormalization moving statistics still hold {remaining:.0%} of "
            "their initial values, so the test accuracy (inference mode) lags the training accuracy "
            f"({model.history.history['accuracy'][-1]:.4f}). Train for more steps (more epochs or data).")


def train(args: argparse.Namespace) -> int:
    """``redes train``: build the preset, fit it, report the test accuracy, save model, history and plots.

    Under ``mpiexec -n N redes train ...`` the N processes train data-parallel (``redes.distributed``); rank 0
    alone prints and saves."""
    if distributed.launched_by_mpiexec():
        distributed.initialize()
        if not distributed.is_chief():
            args.verbose = 0
    if args.seed is not None:
        backend.set_random_seed(args.seed)
    data = load_images(args.dataset, args.quick)
    (x_train, y_train), (x_test, y_test) = data["train"], data["test"]
    class_names = DATASETS[args.dataset].class_names
    augment = augmentation_layers(args.dataset) if args.augment else []
    model = build_model(args.model, x_train.shape[1:], len(class_names), augment)
    optimizer = make_optimizer(args.optimizer, args.learning_rate, args.lr_decay, -(-len(x_train) // args.batch_size))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    out = Path(args.out or f"runs/{args.dataset}-{args.model}")
    out.mkdir(parents=True, exist_ok=True)
    if args.verbose:
        model.summary()
        print(f"{args.dataset}: {len(x_train)} training, {len(data['validation'][0])} validation and "
              f"{len(x_test)} test images{' (--quick)' if args.quick else ''}")
    started = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose,
                        validation_data=data["validation"], callbacks=[callbacks.CSVLogger(out / "history.csv")])
    seconds = time.perf_counter() - started
    if not history.history:
        print("redes train: training stopped before the first epoch ended; nothing was saved.", file=sys.stderr)
        return 1
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
    if not distributed.is_chief():
        return 0
    model.save(out / "model.redes")
    probabilities = model.predict(x_test, batch_size=args.batch_size)
    plots = _save_plots(out, history, x_test, y_test, probabilities, class_names)
    results = {"dataset": args.dataset, "model": args.model, "epochs": model.epochs_completed,
               "batch_size": args.batch_size, "optimizer": model.optimizer.get_config(), "quick": args.quick,
               "lr_decay": args.lr_decay, "augment": args.augment, "seed": args.seed, "train_samples": len(x_train),
               "test_samples": len(x_test), "train_accuracy": float(history.history["accuracy"][-1]),
               "test_loss": float(loss), "test_accuracy": float(accuracy),
               "train_seconds": round(seconds, 1)}
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) - {args.model} on {args.dataset}, "
          f"{model.epochs_completed} epoch(s) in {seconds:.1f} s")
    steps = model.epochs_completed * -(-len(x_train) // args.batch_size)
    if (note := _batch_norm_note(model, steps)) is not None:
        print(note)
    print(f"Saved in {out}: model.redes, history.csv, results.json, {', '.join(plots)}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """``redes evaluate``: load a saved model and report its loss and metrics on the dataset's test images."""
    model = load_model(args.model)
    if model.loss is None:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x_test, y_test = load_images(args.dataset, args.quick)["test"]
    expected = tuple(model.input_shape)
    if numpy.prod(expected) != numpy.prod(x_test.shape[1:]):
        raise ValueError(f"The model expects inputs of shape {expected}; {args.dataset} images are "
                         f"{x_test.shape[1:]}. Evaluate it on the dataset it was trained on.")
    logs = model.evaluate(x_test.reshape((len(x_test), *expected)), y_test, batch_size=args.batch_size,
                          verbose=0, return_dict=True)
    details = ", ".join(f"{key} {value:.4f}" for key, value in logs.items())
    accuracy = logs.get("accuracy", logs.get("sparse_categorical_accuracy"))
    headline = f"Test accuracy: {accuracy:.4f}" if accuracy is not None else "Test results"
    print(f"{headline} - {args.model} on {args.dataset} ({len(x_test)} images): {details}")
    return 0


# ---------------------------------------------------------------------------- parsing
def _parsed(text: str, parse: Callable, check: Callable, expected: str):
    """``check(parse(text))``, or argparse's error "must be <expected>, not <text>" (argparse names the option)."""
    try:
        return check(parse(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, not {text}") from None


def _positive_int(text: str) -> int:
    return _parsed(text, int, lambda value: check_positive_int("value", value), "a positive integer")


def _positive_float(text: str) -> float:
    return _parsed(text, float, lambda value: check_float("value", value, 0.0, include_minimum=False),
                   "a positive number")


def _decay_rate(text: str) -> float:
    return _parsed(text, _positive_float, lambda value: check_float("value", value, maximum=1.0), "in (0, 1]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redes", description="Train and evaluate redes models on image datasets.",
                                     epilog="Run 'redes train' for a quick first training (an MLP on MNIST, one epoch).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,evaluate}")
    dataset = argparse.ArgumentParser(add_help=False)
    dataset.add_argument("--dataset", choices=sorted(DATASETS), default="mnist",
                         help="dataset (default: %(default)s); looked for in $REDES_DATA, then downloaded")
    dataset.add_argument("--quick", action="store_true",
                         help=f"use {QUICK_SIZES['train']} training, {QUICK_SIZES['validation']} validation and "
                              f"{QUICK_SIZES['test']} test images: a check in seconds")
    dataset.add_argument("--batch-size", type=_positive_int, default=128, help="batch size (default: %(default)s)")

    trainer = commands.add_parser("train", parents=[dataset], help="train a preset model",
                                  description="Train a preset model; save the model, its history and plots.",
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  epilog="presets:\n" + "\n".join(f"  {name:7} {fn.__doc__.splitlines()[0]}"
                                                                  for name, fn in PRESETS.items()))
    trainer.add_argument("--model", choices=list(PRESETS), default="mlp", help="preset (default: %(default)s)")
    trainer.add_argument("--epochs", type=_positive_int, default=1, help="epochs (default: %(default)s)")
    trainer.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", type=str.lower,
                         help="optimizer (default: %(default)s)")
    trainer.add_argument("--learning-rate", type=_positive_float, default=None,
                         help="learning rate (default: the optimizer's Keras default, 0.001 for Adam)")
    trainer.add_argument("--lr-decay", type=_decay_rate, default=1.0, metavar="RATE",
                         help="multiply the learning rate by RATE after every epoch (default: 1, constant)")
    trainer.add_argument("--out", default=None, help="output folder (default: runs/DATASET-MODEL)")
    trainer.add_argument("--augment", action="store_true",
                         help="random shifts (and left-right flips, except for MNIST) in training")
    trainer.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    trainer.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                         help="0 quiet, 1 progress bars (default), 2 one line per epoch")
    trainer.set_defaults(run=train)

    evaluator = commands.add_parser("evaluate", parents=[dataset], help="evaluate a saved model on a test set",
                                    description="Evaluate a model saved by 'redes train' (or model.save).")
    evaluator.add_argument("model", help="the saved model file, e.g. runs/mnist-mlp/model.redes")
    evaluator.set_defaults(run=evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad arguments, 1 for a failure)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError) as error:
        print(f"redes {args.command}: error: {error}", file=sys.stderr)
        return 1
