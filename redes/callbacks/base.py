"""The base of every callback and what ``fit`` drives them with: ``Callback`` (the hooks, each a
no-op), ``CallbackList`` (calls one hook on each callback in order) and ``History`` (records each
epoch's logs; ``fit`` returns it).
"""

from __future__ import annotations


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is set by ``fit``.

    Hooks, in the order ``fit`` calls them: on_train_begin, then per epoch
    on_epoch_begin, on_train_batch_begin / on_train_batch_end per step,
    on_epoch_end (``logs`` holds the epoch's metrics, ``val_`` ones included),
    and finally on_train_end. Setting ``self.model.stop_training = True``
    ends training after the current epoch.

    Args of the hooks: ``epoch`` / ``batch`` (0-based int) and ``logs``, a dict of Python floats
    ({'loss': ..., 'accuracy': ..., 'val_loss': ...}; None where a hook has none).

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
        >>> PrintLoss().on_epoch_end(0, {"loss": 0.25})   # fit calls it: model.fit(..., callbacks=[PrintLoss()])
        epoch 0: loss 0.250
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
    """Records the metrics of every epoch: ``history.history['loss']`` is a list, one value per epoch.

    ``fit`` returns one; ``history.epoch`` lists the epoch indices (from 0).

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.5}); history.on_epoch_end(1, {"loss": 0.25})
        >>> history.history, history.epoch
        ({'loss': [0.5, 0.25]}, [0, 1])
    """

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
    """Calls the same hook on every callback in order (how ``fit`` drives its callbacks).

    Args:
        callbacks: an iterable of Callback instances (anything else raises TypeError).
        model: set on each callback as ``callback.model``.
        params: set as ``callback.params`` (``fit`` passes epochs, steps, batch_size and verbose).

    Example:
        >>> history = History()
        >>> callbacks = CallbackList([history], model=None, params={})
        >>> callbacks.call("on_epoch_end", 0, {"loss": 0.5})
        >>> history.history
        {'loss': [0.5]}
    """

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

    def implements(self, hook: str) -> bool:
        """Whether some callback overrides ``hook``: ``fit`` skips the per-batch hooks (and the logs
        they take) when none does.

        Example:
            >>> CallbackList([History()], model=None, params={}).implements("on_train_batch_end")
            False
        """
        return any(getattr(type(callback), hook) is not getattr(Callback, hook) for callback in self.callbacks)
