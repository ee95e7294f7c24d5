"""Normalization layers over the last (channels) axis: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization and UnitNormalization (on ``l2_normalize``, which Dot(normalize=True) shares).

LayerNormalization, GroupNormalization and RMSNormalization share one core: rows of an (M, K) matrix
standardized (``_standardize_rows``) and its backward (``_standardize_rows_backward``); a group norm is a
layer norm of the rows (sample, group), an RMS norm is one without the centring.
"""

from __future__ import annotations

import numbers

from .. import distributed, initializers, regularizers
from ..backend import xp
from ..tensor import Tensor4D
from ..serialization import serialize
from ..validation import check_bool, check_int
from .base import Layer


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    return float(value)


def _check_axis(axis) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}")
    if axis != -1:
        raise ValueError(
            "`axis` must be -1: only the last (channels) axis of NHWC data is supported. "
            f"Received: axis={axis!r}"
        )
    return -1


def _check_epsilon(epsilon) -> float:
    epsilon = _check_real("epsilon", epsilon)
    if not epsilon > 0:
        raise ValueError(f"`epsilon` must be a positive number. Received: epsilon={epsilon!r}")
    return epsilon


def _column_sums(a):
    """Σ over the rows of an (M, C) array, as a matrix-vector product: faster and more accurate than sum(0)."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a  # (C,)


def _row_means(a):
    """Mean over the columns of an (M, C) array, kept as a column (M, 1)."""
    means = a @ xp.ones(a.shape[1], dtype=a.dtype)
    means /= a.shape[1]
    return means[:, None]


def _standardize_rows(x2, epsilon: float, center: bool = True):
    """x̂ and r = 1/√(σ² + ε) (M, 1) for each row x of an (M, K) array.

    center=True   μ = mean(x),  σ² = mean((x − μ)²) (biased),  x̂ = (x − μ) r   (layer and group norm)
    center=False  σ² = mean(x²) (the mean square),             x̂ = x r         (RMS norm)
    """
    xhat = x2 - _row_means(x2) if center else x2.copy()
    inv_std = 1.0 / xp.sqrt(_row_means(xp.square(xhat)) + epsilon)
    xhat *= inv_std
    return xhat, inv_std


def _standardize_rows_backward(h, xhat, inv_std, center: bool = True):
    """dL/dx of ``_standardize_rows`` from h = dL/dx̂ (M, K), per row:

    center=True   dL/dx = (h − mean(h) − x̂ · mean(h ⊙ x̂)) · r
    center=False  dL/dx = (h − x̂ · mean(h ⊙ x̂)) · r
    """
    dx = h * xhat
    mean_h_xhat = _row_means(dx)
    xp.multiply(xhat, mean_h_xhat, out=dx)
    xp.subtract(h, dx, out=dx)
    if center:
        dx -= _row_means(h)
    dx *= inv_std
    return dx


def l2_normalize(x, axis: int, epsilon: float):
    """Keras' ``ops.normalize(x, axis, order=2, epsilon)``: (y, r, capped) with s = Σ x² over ``axis``,
    r = min(1/√s, 1/ε) (kept dims), y = x · r, and ``capped`` where 1/√s > 1/ε (a zero vector gives y = 0)."""
    with xp.errstate(divide="ignore"):
        inverse_norm = 1.0 / xp.sqrt(xp.square(x).sum(axis=axis, keepdims=True))
    cap = xp.asarray(1.0 / epsilon, dtype=x.dtype)
    capped = inverse_norm > cap
    inverse_norm = xp.minimum(inverse_norm, cap)
    return x * inverse_norm, inverse_norm, capped


def l2_normalize_backward(g, x, inverse_norm, capped, axis: int):
    """dL/dx of ``l2_normalize`` from g = dL/dy: g · r − x · r³ · Σ(g ⊙ x) where uncapped, g · r where capped."""
    r = inverse_norm
    projection = xp.where(capped, 0.0, r ** 3 * (g * x).sum(axis=axis, keepdims=True))
    return g * r - x * projection


class _AffineNormalization(Layer):
    """What BatchNormalization, LayerNormalization and GroupNormalization share: ε, and the per-channel
    y = γ ⊙ x̂ + β after the standardization, with its weights (gamma, beta in Keras order), their gradients
    and the config."""

    supports_masking = True  # works position by position: a sequence's mask passes through

    def __init__(self, epsilon: float, center: bool, scale: bool, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.epsilon = _check_epsilon(epsilon)
        self.center = check_bool("center", center)
        self.scale = check_bool("scale", scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape: tuple) -> None:
        channels = (input_shape[-1],)
        if self.scale:
            self.add_weight("gamma", channels, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.add_weight("beta", channels, self.beta_initializer, self.beta_regularizer)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def _scale_and_shift(self, xhat2):
        """y = γ ⊙ x̂ + β over the channels of an (M, C) array."""
        y = xhat2 * self.gamma if self.scale else xhat2.copy()
        if self.center:
            y += self.beta
        return y

    def _scale_and_shift_backward(self, g2, xhat2):
        """dL/dx̂ = γ ⊙ g of (M, C) arrays; sets dL/dγ = Σ_rows g ⊙ x̂ and dL/dβ = Σ_rows g."""
        if self.trainable:
            if self.scale:
                self.set_gradient("gamma", _column_sums(g2 * xhat2))
            if self.center:
                self.set_gradient("beta", _column_sums(g2))
        return g2 * self.gamma if self.scale else g2

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize(self.beta_initializer),
            "gamma_initializer": serialize(self.gamma_initializer),
            "beta_regularizer": serialize(self.beta_regularizer),
            "gamma_regularizer": serialize(self.gamma_regularizer),
        }


class BatchNormalization(_AffineNormalization):
    """Normalizes each channel with the batch's statistics in training, moving statistics otherwise.

    Args:
        axis: the normalized (channels) axis; only -1, the last axis of NHWC data, is supported.
        momentum: weight of the old value in the moving statistics' update, in [0, 1] (Keras' direction).
        epsilon: positive number added to the variance before the square root.
        center, scale: whether to learn the offset ``beta`` and the factor ``gamma``.
        beta_initializer, gamma_initializer: initializers of the learned weights ('zeros', 'ones').
        moving_mean_initializer, moving_variance_initializer: initial moving statistics ('zeros', 'ones').
        beta_regularizer, gamma_regularizer: optional penalties on ``beta`` and ``gamma``.
        synchronized: in a training over several processes (``redes.distributed``), compute the batch
            statistics over the whole global batch (every rank's shard) rather than this rank's shard, so
            that the layer equals one process's BatchNormalization on that batch (Keras' argument). It
            changes nothing in one process.

    The batch statistics are used when the call has ``training=True`` *and* the layer is
    trainable; ``trainable=False`` freezes gamma and beta and switches to the moving
    statistics, as in Keras.

    Input shape: (batch, h, w, c); flat data is (batch, 1, 1, c).
    Output shape: (batch, h, w, c), unchanged.
    Weights, in Keras order: gamma (c,), beta (c,) trainable; moving_mean (c,), moving_variance (c,)
    non-trainable.

    Equations, with X the input as an (M, c) matrix (M = batch·h·w) and G = dL/dY:
        training   μ = Σ_rows X / M,  σ² = Σ_rows (X − μ)² / M  (biased),  x̂ = (X − μ) / √(σ² + ε)
                   Y = γ x̂ + β
                   moving_mean ← momentum·moving_mean + (1 − momentum)·μ   (likewise moving_variance, σ²)
                   dL/dγ = Σ_rows G ⊙ x̂,  dL/dβ = Σ_rows G
                   dL/dX = γ / (M √(σ² + ε)) ⊙ (M G − dL/dβ − x̂ ⊙ dL/dγ)
        inference  μ, σ² = moving_mean, moving_variance;  Y = γ (X − μ) / √(σ² + ε) + β
                   dL/dX = γ / √(σ² + ε) ⊙ G  (dL/dγ, dL/dβ as above)

    Example:
        >>> bn = BatchNormalization(momentum=0.9)
        >>> y = bn(np.random.randn(32, 8).astype("float32"), training=True)  # per-feature mean 0, std ≈ 1
        >>> bn.moving_mean.shape, len(bn.trainable_weights), len(bn.non_trainable_weights)
        ((8,), 2, 2)
    """

    supports_masking = True  # works step by step: a sequence's mask passes through

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, synchronized: bool = False, **kwargs) -> None:
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)
        self.axis = _check_axis(axis)
        self.synchronized = check_bool("synchronized", synchronized)
        self.momentum = _check_real("momentum", momentum)
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(f"`momentum` must be a number in [0, 1]. Received: momentum={momentum!r}")
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        channels = (input_shape[-1],)
        self.add_weight("moving_mean", channels, self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", channels, self.moving_variance_initializer, trainable=False)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x2 = x.data.reshape(-1, x.shape[-1])  # (M, C) view
        self._batch_statistics = bool(training) and self.trainable
        if self._batch_statistics:
            y = self._forward_training(x2)
        else:
            y = self._forward_inference(x2)
        return Tensor4D(y.reshape(x.shape))

    def _synchronizes(self) -> bool:
        return self.synchronized and distributed.active()

    def _forward_training(self, x2):
        m = x2.shape[0]
        sums = _column_sums(x2)
        if self._synchronizes():  # the global batch's statistics: Σ over every rank's rows
            totals = distributed.summed(xp.append(sums, m))
            sums, m = totals[:-1], totals[-1]
        mean = sums / m
        xhat = x2 - mean  # (M, C): centred now, normalized in place below
        y = xp.multiply(xhat, xhat)  # squares; the buffer is reused for the output
        squares = _column_sums(y)
        var = (distributed.summed(squares) if self._synchronizes() else squares) / m
        self._count = m
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        xhat *= inv_std
        if self.scale:
            xp.multiply(xhat, self.gamma, out=y)
        else:
            xp.copyto(y, xhat)
        if self.center:
            y += self.beta
        self.moving_mean *= self.momentum
        self.moving_mean += mean * (1.0 - self.momentum)
        self.moving_variance *= self.momentum
        self.moving_variance += var * (1.0 - self.momentum)
        self._xhat, self._inv_std, self._x = xhat, inv_std, None
        return y

    def inference_affine(self) -> tuple:
        """(s, t), the per-channel map y = s ⊙ x + t of inference: s = γ / √(σ² + ε), t = β − s ⊙ μ, with the
        moving mean μ and variance σ² (γ = 1 without ``scale``, β = 0 without ``center``); each (C,)."""
        return self._affine(1.0 / xp.sqrt(self.moving_variance + self.epsilon))

    def _affine(self, inv_std) -> tuple:
        factor = inv_std * self.gamma if self.scale else inv_std
        offset = -self.moving_mean * factor
        if self.center:
            offset += self.beta
        return factor, offset

    def _forward_inference(self, x2):
        inv_std = 1.0 / xp.sqrt(self.moving_variance + self.epsilon)
        factor, offset = self._affine(inv_std)
        y = x2 * factor
        y += offset
        self._x, self._inv_std, self._xhat = x2, inv_std, None
        return y

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g2 = grad.data.reshape(-1, grad.shape[-1])  # (M, C)
        factor = self._inv_std * self.gamma if self.scale else self._inv_std
        if not self._batch_statistics:
            if self.trainable:
                centred_g = self._x - self.moving_mean
                centred_g *= g2
                self._set_weight_gradients(_column_sums(centred_g) * self._inv_std, _column_sums(g2))
            return Tensor4D((g2 * factor).reshape(grad.shape))
        m = self._count
        dbeta = _column_sums(g2)
        dx = xp.multiply(g2, self._xhat)
        dgamma = _column_sums(dx)
        if self.trainable:
            self._set_weight_gradients(dgamma, dbeta)
        share = 1.0
        if self._synchronizes():  # G = share·g is this rank's part of the global batch's gradient
            share = distributed.batch_share()
            totals = distributed.summed(xp.concatenate([dbeta, dgamma]) * share)
            dbeta, dgamma = totals[:len(dbeta)], totals[len(dbeta):]
        xp.multiply(self._xhat, dgamma / m, out=dx)
        xp.subtract(g2 * share if share != 1.0 else g2, dx, out=dx)
        dx -= dbeta / m
        dx *= factor / share if share != 1.0 else factor
        return Tensor4D(dx.reshape(grad.shape))

    def _set_weight_gradients(self, dgamma, dbeta) -> None:
        if self.scale:
            self.set_gradient("gamma", dgamma)
        if self.center:
            self.set_gradient("beta", dbeta)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "moving_mean_initializer": serialize(self.moving_mean_initializer),
            "moving_variance_initializer": serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
        }


class LayerNormalization(_AffineNormalization):
    """Normalizes each position's features (the last axis) to zero mean and unit variance.

    Args:
        axis: the normalized axis; only -1, the last axis of NHWC data, is supported.
        epsilon: positive number added to the variance before the square root.
        center, scale: whether to learn the offset ``beta`` and the factor ``gamma``.
        beta_initializer, gamma_initializer: initializers ('zeros', 'ones').
        beta_regularizer, gamma_regularizer: optional penalties.

    Input shape: (batch, h, w, c); flat data is (batch, 1, 1, c).
    Output shape: (batch, h, w, c), unchanged. Same behaviour in training and inference.
    Weights, in Keras order: gamma (c,), beta (c,).

    Equations, per row x of the input as an (M, c) matrix (M = batch·h·w), g = dL/dy:
        forward   μ = Σ x / c,  σ² = Σ (x − μ)² / c  (biased),  x̂ = (x − μ) / √(σ² + ε),  y = γ x̂ + β
        backward  dL/dγ = Σ_rows g ⊙ x̂,  dL/dβ = Σ_rows g;  with h = γ ⊙ g:
                  dL/dx = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)

    Example:
        >>> LayerNormalization()(np.array([[1.0, 2.0, 3.0]], dtype="float32")).round(3)
        array([[-1.224,  0.   ,  1.224]], dtype=float32)
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs) -> None:
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)
        self.axis = _check_axis(axis)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._xhat, self._inv_std = _standardize_rows(x.data.reshape(-1, x.shape[-1]), self.epsilon)
        return Tensor4D(self._scale_and_shift(self._xhat).reshape(x.shape))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        h = self._scale_and_shift_backward(grad.data.reshape(-1, grad.shape[-1]), self._xhat)
        return Tensor4D(_standardize_rows_backward(h, self._xhat, self._inv_std).reshape(grad.shape))


class GroupNormalization(_AffineNormalization):
    """Normalizes each sample's channels in ``groups`` groups, over the positions and the channels of a group.

    Args:
        groups: the number of groups, a divisor of the channels (default 32); -1 makes one group per
            channel (instance normalization), 1 one group of all (a layer norm over positions and channels).
        axis: the channels axis; only -1, the last axis of NHWC data, is supported.
        epsilon: positive number added to the variance before the square root.
        center, scale: whether to learn the per-channel offset ``beta`` and factor ``gamma``.
        beta_initializer, gamma_initializer: initializers ('zeros', 'ones').
        beta_regularizer, gamma_regularizer: optional penalties.

    Input shape: (batch, *positions, c) with c a multiple of ``groups``: (batch, c), (batch, steps, c),
    (batch, h, w, c). Output shape: unchanged. Same behaviour in training and inference.
    Weights, in Keras order: gamma (c,), beta (c,).

    Equations, with the input of one sample n viewed as (P, G, c/G) (P positions, G groups) and the row
    x_{n,k} of group k the P·c/G values of that group, g = dL/dy:
        forward   μ, σ² = mean, biased variance of x_{n,k};  x̂ = (x − μ) / √(σ² + ε);  y = γ x̂ + β per channel
        backward  dL/dγ = Σ_{n,P} g ⊙ x̂,  dL/dβ = Σ_{n,P} g;  with h = γ ⊙ g, per row (n, k):
                  dL/dx = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)   (LayerNormalization's, on the rows)

    Example:
        >>> GroupNormalization(groups=2)(np.random.randn(4, 5, 5, 8).astype("float32")).shape
        (4, 5, 5, 8)
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs) -> None:
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)
        self.groups = check_int("groups", groups)
        if self.groups <= 0 and self.groups != -1:
            raise ValueError("`groups` must be a positive integer, or -1 for instance normalization. "
                             f"Received: groups={groups!r}")
        self.axis = _check_axis(axis)

    def build(self, input_shape: tuple) -> None:
        channels = input_shape[-1]
        self._groups = channels if self.groups == -1 else self.groups
        if channels % self._groups:
            raise ValueError(f"`groups` must divide the number of channels ({channels}). "
                             f"Received: groups={self.groups}")
        super().build(input_shape)

    def _rows(self, a):
        """(N, h, w, C) as the (N·G, P·C/G) rows, one per (sample, group); a copy."""
        n, c = a.shape[0], a.shape[-1]
        grouped = a.reshape(n, -1, self._groups, c // self._groups)  # (N, P, G, C/G)
        return xp.ascontiguousarray(grouped.transpose(0, 2, 1, 3)).reshape(n * self._groups, -1)

    def _unrows(self, rows, shape):
        """The inverse of ``_rows``: (N·G, P·C/G) back to (N·P, C)."""
        n, c = shape[0], shape[-1]
        grouped = rows.reshape(n, self._groups, -1, c // self._groups).transpose(0, 2, 1, 3)
        return xp.ascontiguousarray(grouped).reshape(-1, c)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._xhat_rows, self._inv_std = _standardize_rows(self._rows(x.data), self.epsilon)  # (N·G, P·C/G)
        self._xhat = self._unrows(self._xhat_rows, x.shape)  # (N·P, C)
        return Tensor4D(self._scale_and_shift(self._xhat).reshape(x.shape))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        h = self._scale_and_shift_backward(grad.data.reshape(-1, grad.shape[-1]), self._xhat)
        rows = _standardize_rows_backward(self._rows(h.reshape(grad.shape)), self._xhat_rows, self._inv_std)
        return Tensor4D(self._unrows(rows, grad.shape).reshape(grad.shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "groups": self.groups}


class RMSNormalization(Layer):
    """Scales each position's features (the last axis) by the inverse of their root mean square, then by ``scale``.

    Args:
        axis: the normalized axis; only -1, the last axis of NHWC data, is supported.
        epsilon: positive number added to the mean square before the square root (Keras' default 1e-6).

    Input shape / Output shape: (batch, *features), unchanged. Weight: scale (c,), trainable, ones.
    Equations, as Keras' ``ops.rms_normalization``, per row x of c features, g = dL/dy:
        forward   r = 1 / √(mean(x²) + ε),  x̂ = x r,  y = x̂ ⊙ scale
        backward  dL/dscale = Σ_rows g ⊙ x̂;  with h = scale ⊙ g:  dL/dx = (h − x̂ · mean(h ⊙ x̂)) · r

    Example:
        >>> RMSNormalization()(np.array([[3.0, 4.0]], dtype="float32")).round(3)
        array([[0.849, 1.131]], dtype=float32)
    """

    supports_masking = True  # works position by position: a sequence's mask passes through

    def __init__(self, axis: int = -1, epsilon: float = 1e-6, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axis(axis)
        self.epsilon = _check_epsilon(epsilon)

    def build(self, input_shape: tuple) -> None:
        self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._xhat, self._inv_rms = _standardize_rows(x.data.reshape(-1, x.shape[-1]), self.epsilon, center=False)
        return Tensor4D((self._xhat * self.scale).reshape(x.shape))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g2 = grad.data.reshape(-1, grad.shape[-1])
        if self.trainable:
            self.set_gradient("scale", _column_sums(g2 * self._xhat))
        dx = _standardize_rows_backward(g2 * self.scale, self._xhat, self._inv_rms, center=False)
        return Tensor4D(dx.reshape(grad.shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each position's feature vector (the last axis) to unit L2 norm, as Keras.

    Args:
        axis: the normalized axis; only -1, the last axis of NHWC data, is supported.

    Input shape / Output shape: (batch, *features), unchanged.
    Equations, as Keras' ``ops.normalize`` (``x · rsqrt`` with the inverse norm capped at 1/ε, ε = 1e-12),
    with s = Σ x² over the axis and g = dL/dy:
        forward   r = min(1/√s, 1/ε),  y = x · r
        backward  dL/dx = g · r − x · r³ · Σ(g ⊙ x)  where 1/√s ≤ 1/ε;  dL/dx = g / ε  where capped
                  (a zero vector: y = 0)

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]])).tolist()
        [[0.6, 0.8]]
    """

    supports_masking = True  # works position by position: a sequence's mask passes through
    _epsilon = 1e-12  # Keras' fixed epsilon

    def __init__(self, axis: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axis(axis)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._x = x.data
        y, self._inverse_norm, self._capped = l2_normalize(x.data, -1, self._epsilon)
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(l2_normalize_backward(grad.data, self._x, self._inverse_norm, self._capped, -1))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
