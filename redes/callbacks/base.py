"""The base of every callback and what ``fit`` drives them with: ``Callback`` (the hooks, each a
no-op), ``CallbackList`` (calls one hook on each callback in order) and ``History`` (records each
epoch's logs; ``fit`` returns it).
"""

from __future__ import annotations

from ..validation import check_one_of, check_positive_int


class Callback:
    """Base class. Override the hooks you need; ``self.model`` and ``self.params`` are set by ``fit``,
    ``evaluate`` and ``predict`` (``set_model``, ``set_params``; params: 'epochs', 'steps', 'verbose').

    Hooks, in the order ``fit`` calls them (Keras'): on_train_begin, then per epoch
    on_epoch_begin, on_train_batch_begin / on_train_batch_end per step, the validation (if any:
    on_test_begin, on_test_batch_begin / on_test_batch_end per step, on_test_end), on_epoch_end
    (``logs`` holds the epoch's metrics, ``val_`` ones included), and finally on_train_end.
    ``evaluate`` calls the on_test_* hooks, ``predict`` on_predict_begin, on_predict_batch_begin /
    on_predict_batch_end per step (logs {'outputs': the batch's predictions}) and on_predict_end.
    Setting ``self.model.stop_training = True`` ends training after the current batch.
    on_batch_begin / on_batch_end are Keras 2's names: the train-batch hooks call them.

    Args of the hooks: ``epoch`` / ``batch`` (0-based int) and ``logs``, always a dict of Python floats
    ({'loss': ..., 'accuracy': ..., 'val_loss': ...}; {} where a hook has nothing to report).

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
        >>> PrintLoss().on_epoch_end(0, {"loss": 0.25})   # fit calls it: model.fit(..., callbacks=[PrintLoss()])
        epoch 0: loss 0.250
    """

    writes_files = False  # True: on several processes (redes.distributed), rank 0 alone runs this callback

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
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_test_begin(self, logs: dict | None = None) -> None:
        pass

    def on_test_end(self, logs: dict | None = None) -> None:
        pass

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_predict_begin(self, logs: dict | None = None) -> None:
        pass

    def on_predict_end(self, logs: dict | None = None) -> None:
        pass

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass


class SaveSchedule:
    """When a saving callback saves: every epoch, or every ``save_freq`` training batches (Keras' ``save_freq``
    of ModelCheckpoint and BackupAndRestore).

    Example:
        >>> schedule = SaveSchedule(2)
        >>> [schedule.batch_done() for _ in range(4)]
        [False, True, False, True]
    """

    def __init__(self, save_freq) -> None:
        if isinstance(save_freq, str):
            self.save_freq = check_one_of("save_freq", save_freq, ("epoch",))
        else:
            self.save_freq = check_positive_int("save_freq", save_freq)
        self.reset()

    @property
    def per_epoch(self) -> bool:
        return self.save_freq == "epoch"

    def reset(self) -> None:
        self._batches = 0

    def batch_done(self) -> bool:
        """Count a training batch; True when it is time to save (never with 'epoch')."""
        if self.per_epoch:
            return False
        self._batches += 1
        if self._batches < self.save_freq:
            return False
        self._batches = 0
        return True


class History(Callback):
    """Records the logs of every epoch, and of every training batch: what ``fit`` returns.

    Attributes:
        history: ``history['loss']`` is a list, one value per epoch (Keras').
        epoch: the epoch indices (from 0).
        batch_history: the same keys, one value per training batch: the running means of the epoch so
            far, as the progress bar shows them (for the learning curves of short runs).
        batch_positions: (epoch, batch index) of each entry of ``batch_history``.

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.5}); history.on_epoch_end(1, {"loss": 0.25})
        >>> history.history, history.epoch
        ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self) -> None:
        super().__init__()
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.batch_history: dict[str, list[float]] = {}
        self.batch_positions: list[tuple[int, int]] = []
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.batch_positions.append((self._current_epoch, batch))
        for key, value in (logs or {}).items():
            self.batch_history.setdefault(key, []).append(value)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls the same hook on every callback in order (how ``fit`` drives its callbacks).

    Args:
        callbacks: an iterable of Callback instances (anything else raises TypeError), or None.
        model: set on each callback as ``callback.model``.
        params: set as ``callback.params`` (``fit``, ``evaluate`` and ``predict`` pass epochs, steps and verbose).

    Example:
        >>> history = History()
        >>> callbacks = CallbackList([history], model=None, params={})
        >>> callbacks.call("on_epoch_end", 0, {"loss": 0.5})
        >>> history.history
        {'loss': [0.5]}
    """

    def __init__(self, callbacks, model, params: dict) -> None:
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must hold Callback instances. Received: {callback!r}")
            callback.set_model(model)
            callback.set_params(params)

    def call(self, hook: str, *args) -> None:
        """Call ``hook`` with ``args`` (the logs last) on each callback, in order."""
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def implements(self, hook: str) -> bool:
        """Whether some callback overrides ``hook`` (in its class or, as LambdaCallback, on itself): the
        loops skip the per-batch hooks (and the logs they take) when none does.

        Example:
            >>> CallbackList([History()], model=None, params={}).implements("on_predict_batch_end")
            False
        """
        hooks = (hook, *_KERAS_2_NAMES.get(hook, ()))
        return any(name in vars(callback) or getattr(type(callback), name) is not getattr(Callback, name)
                   for callback in self.callbacks for name in hooks)


_KERAS_2_NAMES = {"on_train_batch_begin": ("on_batch_begin",), "on_train_batch_end": ("on_batch_end",)}
