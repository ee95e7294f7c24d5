"""Callbacks: hooks into ``fit``, with Keras names and call points."""

from __future__ import annotations


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is set by ``fit``.

    Hooks, in the order ``fit`` calls them: on_train_begin, then per epoch
    on_epoch_begin, on_train_batch_begin / on_train_batch_end per step,
    on_epoch_end (``logs`` holds the epoch's metrics, ``val_`` ones included),
    and finally on_train_end. Setting ``self.model.stop_training = True``
    ends training after the current epoch.
    """

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass


class History(Callback):
    """Records the metrics of every epoch: ``history.history['loss']`` is a list, one value per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls the same hook on every callback in order."""

    def __init__(self, callbacks, model, params: dict) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must hold Callback instances. Received: {callback!r}")
            callback.set_model(model)
            callback.set_params(params)

    def call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)
