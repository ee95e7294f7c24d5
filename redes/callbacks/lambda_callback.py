"""``LambdaCallback``: a callback made of functions given on the spot, as Keras' LambdaCallback."""

from __future__ import annotations

from .base import Callback

_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end", "on_train_batch_begin",
          "on_train_batch_end")


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given (Keras' LambdaCallback, same argument names).

    Args:
        on_epoch_begin, on_epoch_end: called as f(epoch, logs).
        on_train_begin, on_train_end: called as f(logs).
        on_train_batch_begin, on_train_batch_end: called as f(batch, logs).
        **kwargs: any other hook by its name (e.g. on_test_end=f), called with that hook's arguments.

    Example:
        >>> losses = []
        >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
        >>> model.fit(x, y, epochs=3, callbacks=[record])
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs) -> None:
        super().__init__()
        given = dict(zip(_HOOKS, (on_epoch_begin, on_epoch_end, on_train_begin, on_train_end,
                                  on_train_batch_begin, on_train_batch_end)))
        for name, function in {**given, **kwargs}.items():
            if not (name.startswith("on_") and callable(getattr(Callback, name, None))):
                raise TypeError(f"LambdaCallback got an unknown hook `{name}`. Hooks: on_train_begin, "
                                "on_epoch_end, on_test_batch_end, ... (the Callback methods).")
            if function is not None and not callable(function):
                raise TypeError(f"`{name}` must be a function. Received: {name}={function!r}")
            if function is not None:
                setattr(self, name, function)
