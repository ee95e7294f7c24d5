"""``TensorBoard``: write the logs of ``fit`` as TensorBoard event files, with Keras 3's directories and tags.

The event files are written by tensorboardX (``pip install "redes[tensorboard]"``), a small
library that writes TensorBoard's format without TensorFlow; TensorBoard itself reads them
(``tensorboard --logdir logs``).
"""

from __future__ import annotations

import os
import time

from ..backend import xp
from ..validation import check_bool, check_non_negative_int, check_path, check_positive_int
from .base import Callback


def _summary_writer(log_dir: str):
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("The TensorBoard callback writes event files with tensorboardX, which is not installed: "
                          'pip install "redes[tensorboard]" (or pip install tensorboardX).') from None
    return SummaryWriter(log_dir)


class TensorBoard(Callback):
    """Log the training of ``fit`` for TensorBoard: scalars per epoch (and per batch), weight histograms.

    As Keras 3's TensorBoard, in ``log_dir/train`` and ``log_dir/validation``:
        - ``epoch_<name>`` at step = epoch for each log of the epoch (``val_<name>`` logs go to
          ``validation`` without the prefix), and ``epoch_learning_rate``, the optimizer's rate;
        - with ``update_freq`` 'batch' or an integer n: ``batch_<name>`` every n training batches, at
          step = the batch's number counted over the whole run (from 1);
        - ``evaluation_<name>_vs_iterations`` in ``validation`` after each evaluation inside ``fit``,
          at step = the optimizer's iterations;
        - with ``histogram_freq`` n: every n epochs, a histogram ``<path>/histogram`` of each weight,
          its path as Keras' (``<layer>/<weight>``, in a Sequential ``<model>/<layer>/<weight>``), and
          with ``write_images`` the weight as an image ``<path>/image``, scaled to [0, 1];
        - with ``write_steps_per_second``: ``batch_steps_per_second`` and ``epoch_steps_per_second``.

    Args:
        log_dir: the folder of the event files (created if missing).
        histogram_freq: every how many epochs to write the weight histograms (0: never).
        write_graph: write the model's summary (``model.summary()``'s table) as a text summary; redes
            has no TensorFlow graph for the Graphs tab.
        write_images: also write each weight as an image (kernels of Dense and Conv layers, biases).
        write_steps_per_second: also log the training steps per second.
        update_freq: 'epoch', 'batch' or an integer: the batch scalars' frequency (in batches).
        profile_batch, embeddings_freq, embeddings_metadata: Keras' profiler and projector; they need
            TensorFlow's runtime, so only their defaults (0, 0, None) are accepted.

    Example:
        >>> model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[TensorBoard("logs", histogram_freq=1)])
        >>> # then: tensorboard --logdir logs
    """

    writes_files = True

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq="epoch", profile_batch=0, embeddings_freq: int = 0,
                 embeddings_metadata=None) -> None:
        super().__init__()
        self.log_dir = check_path("log_dir", log_dir)
        self.histogram_freq = check_non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = check_bool("write_graph", write_graph)
        self.write_images = check_bool("write_images", write_images)
        self.write_steps_per_second = check_bool("write_steps_per_second", write_steps_per_second)
        if update_freq not in ("epoch", "batch"):
            check_positive_int("update_freq", update_freq)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        for name, value, default in (("profile_batch", profile_batch, 0), ("embeddings_freq", embeddings_freq, 0),
                                     ("embeddings_metadata", embeddings_metadata, None)):
            if value != default:
                raise ValueError(f"`{name}` needs TensorFlow's profiler or projector, which redes does not use: "
                                 f"leave it at {default!r}. Received: {name}={value!r}")
        self._writers: dict = {}
        self._global_train_batch = 0

    def _writer(self, split: str):
        """The event writer of ``log_dir/train`` or ``log_dir/validation``, opened on first use."""
        if split not in self._writers:
            self._writers[split] = _summary_writer(os.path.join(self.log_dir, split))
        return self._writers[split]

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._writer("train")  # opened here: a missing tensorboardX fails at the start of fit
        self._global_train_batch = 0
        self._epoch_start_time = time.perf_counter()
        if self.write_graph:
            lines: list[str] = []
            self.model.summary(print_fn=lines.append)
            self._writer("train").add_text("model_summary", "\n".join(f"    {line}" for line in lines), 0)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start_time = time.perf_counter()
        self._epoch_start_batch = self._global_train_batch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_train_batch += 1
        self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            writer.add_scalar("batch_steps_per_second", 1.0 / (time.perf_counter() - self._batch_start_time), step)
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", float(value), step)

    def on_test_end(self, logs: dict | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            writer = self._writer("validation")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), optimizer.iterations)
            writer.flush()  # an evaluate() outside fit has no on_train_end to flush it

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        train = {name: value for name, value in logs.items() if not name.startswith("val_")}
        validation = {name[4:]: value for name, value in logs.items() if name.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train["learning_rate"] = optimizer.learning_rate
        if self.write_steps_per_second:
            steps = self._global_train_batch - self._epoch_start_batch
            train["steps_per_second"] = steps / (time.perf_counter() - self._epoch_start_time)
        for split, values in (("train", train), ("validation", validation)):
            for name, value in values.items():
                self._writer(split).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        from ..models.sequential import Sequential  # here: the models import the callbacks

        writer = self._writer("train")
        # Keras' weight paths: a Sequential builds its layers inside its own name scope, a functional graph not
        scope = f"{self.model.name}/" if isinstance(self.model, Sequential) else ""
        for layer in self.model.layers:
            for name, weight in zip(layer.weight_names, layer.get_weights()):
                tag = f"{scope}{layer.name}/{name}"
                writer.add_histogram(f"{tag}/histogram", weight, epoch)
                image = _weight_image(weight) if self.write_images else None
                if image is not None:
                    writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _weight_image(weight):
    """A weight as (images, H, W, 1) in [0, 1], as Keras shows it: a bias as one row, a Dense kernel with its
    longer side across, a Conv2D kernel as one image per input channel; None for other shapes."""
    image = xp.squeeze(weight)
    if image.ndim == 1:
        image = image.reshape(1, 1, -1, 1)
    elif image.ndim == 2:
        image = (image.T if image.shape[0] > image.shape[1] else image)[None, :, :, None]
    elif image.ndim == 3:
        image = image.transpose(2, 0, 1)[..., None]
    else:
        return None
    low, high = float(image.min()), float(image.max())
    return ((image - low) / (high - low) if high > low else xp.zeros_like(image)).astype("float32")
