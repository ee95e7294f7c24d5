"""ActivityRegularization: the identity, with a penalty on its input added to the loss (Keras' layer)."""

from __future__ import annotations

from .. import ops
from ..validation import check_float
from .base import Layer


class ActivityRegularization(Layer):
    """Passes its input on unchanged and adds an L1/L2 penalty on it to the loss, as Keras 3 does.

    Args:
        l1: the L1 factor (≥ 0).  l2: the L2 factor (≥ 0).
        name, trainable, dtype: as any layer.

    Input shape: any, (batch, ...). Output shape: the same.
    Equations, with B the batch size (Keras 3 divides by it, so that the penalty's strength does not
    depend on the batch):
        forward   y = x;   loss += (l1 Σ|x| + l2 Σ x²) / B      (``add_loss``, read in ``layer.losses``)
        backward  dL/dx = dL/dy + (l1 sign(x) + 2 l2 x) / B
    Written as Keras' ``call`` with ``redes.ops``: the backward is the tape's, the penalty's gradient
    included (``fit`` minimizes the loss plus ``model.losses``; a GradientTape loop adds them itself).

    Example:
        >>> layer = ActivityRegularization(l1=0.1)
        >>> y = layer(np.array([[1.0, -2.0]], dtype="float32"))
        >>> y.tolist(), [round(float(loss), 4) for loss in layer.losses]
        ([[1.0, -2.0]], [0.3])
    """

    supports_masking = True  # works element by element: a sequence's mask passes through

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.l1 = check_float("l1", l1, 0.0)
        self.l2 = check_float("l2", l2, 0.0)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def call(self, inputs):
        penalty = self.l1 * ops.sum(ops.abs(inputs)) + self.l2 * ops.sum(ops.square(inputs))
        self.add_loss(penalty / ops.shape(inputs)[0])
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
