"""Wrapper: the base of a layer that contains layers (Bidirectional, TimeDistributed), as Keras' ``Wrapper``.

A wrapper owns no weights of its own: like a ``Model`` it is a ``LayerContainer``, which gathers those
of its ``layers``, in their order, and their gradients, penalties and trainable flags. Its ``forward`` calls the inner layers' own
forward and its ``backward`` their own backward, so the gradients of the inner weights are the ones the
inner layers compute and store. Two things a model does for its layers a wrapper does for its own:
    * a wrapper called at several nodes of a functional model (a shared layer) back-propagates each call
      through that call's cache: ``forward`` keeps the inner layers' state (``_keep_inner_state``) in the
      wrapper itself, which the functional model restores per node, and ``backward`` puts it back;
    * from a shared wrapper's second backward on, its inner layers add to their gradients
      (``_accumulate_gradients``), so the penalty's gradient still counts once.
``saving`` treats a layer with ``layers`` as a container: the file names an inner weight
'<inner layer>/<weight>' and keeps a seeded inner layer's random state.
"""

from __future__ import annotations

import contextlib

from .base import Layer, forward_cache, restore_forward_cache
from .container import LayerContainer


class Wrapper(LayerContainer):
    """A layer made of other layers; see the module docstring. Subclasses set ``self._inner``.

    Args:
        name, trainable, dtype: as ``Layer``. ``trainable`` set on the wrapper is set on its inner layers.

    ``_set_inner(layers, prefixes)`` gives the inner layers and, optionally, one prefix per layer for
    ``weight_names`` ('forward_', 'backward_'), so that the names stay unique in the wrapper.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._inner: list[Layer] = []
        self._prefixes: list[str] = []

    def _set_inner(self, inner: list[Layer], prefixes: list[str] | None = None) -> None:
        self._inner = list(inner)
        self._prefixes = list(prefixes) if prefixes is not None else [""] * len(inner)
        if not self.trainable:
            self.trainable = False

    @property
    def layers(self) -> list[Layer]:
        """The inner layers, in weight order."""
        return list(self.__dict__.get("_inner", []))

    # ------------------------------------------------------------------ weights: the inner layers' (LayerContainer)
    @property
    def weight_names(self) -> list[str]:
        return [prefix + name for layer, prefix in zip(self.layers, self._prefixes) for name in layer.weight_names]

    def set_gradient(self, weight, value) -> None:
        raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) owns no weights: its inner layers store "
                        "their gradients in their own backward.")

    # ------------------------------------------------------------------ one call's state, as a Model keeps it
    def _keep_inner_state(self) -> None:
        """After forward: keep the inner layers' caches of this call (shallow copies; weights are shared)."""
        self._inner_state = [kept for layer in self.layers for kept in forward_cache(layer)]

    @contextlib.contextmanager
    def _inner_backward(self):
        """Around backward: the inner layers' caches of this call back in place, and the accumulation flag
        of a shared wrapper passed on to them."""
        restore_forward_cache(self.__dict__.get("_inner_state", []))
        accumulate = self._accumulate_gradients
        if accumulate:
            for layer in self.layers:
                layer._accumulate_gradients = True
        try:
            yield
        finally:
            if accumulate:
                for layer in self.layers:
                    del layer._accumulate_gradients

    def reset_states(self) -> None:
        """Reset the carried states of the inner (stateful) layers."""
        for layer in self.layers:
            reset = getattr(layer, "reset_states", None)
            if reset is not None:
                reset()
