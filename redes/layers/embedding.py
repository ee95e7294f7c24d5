"""Embedding: integer indices to rows of a trainable table, as Keras' Embedding."""

from __future__ import annotations

from .. import initializers, regularizers
from ..backend import xp
from ..serialization import serialize
from ..tensor import Tensor4D
from ..validation import check_bool, check_positive_int
from .base import Layer



def _scatter_rows(indices, rows, vocabulary: int):
    """Σ of ``rows`` (M, D) grouped by ``indices`` (M,) into a (vocabulary, D) array: sort + np.add.reduceat.

    Measured against np.add.at, np.bincount per column, one flat np.bincount and a one-hot GEMM for
    vocabularies 1e3, 1e4, 5e4 and M = 4096 rows of 64 (benchmarks/README.md, "Embedding backward"):
    no variant is the fastest at every size. Sorting is the fastest at 5e4 and within about 2.5× of
    the best everywhere in float32 (0.8–3 ms); one flat np.bincount is faster at 1e4 and in float64,
    but 3–4× slower than sorting in float32 at 1e3, and sums in float64; np.add.at is 2–4× slower,
    the per-column bincount 10× at 5e4, the one-hot GEMM 20× to 600×. So one path for every size,
    summing in the gradient's dtype as TensorFlow's segment sums do.
    """
    out = xp.zeros((vocabulary, rows.shape[1]), dtype=rows.dtype)
    if len(indices) == 0:
        return out
    order = xp.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = xp.flatnonzero(xp.concatenate(([True], ordered[1:] != ordered[:-1])))  # first row of each index
    out[ordered[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Layer):
    """Turns integer indices into dense vectors, rows of a trainable table, as Keras' Embedding.

    Args:
        input_dim: size of the vocabulary V: indices are 0 to V − 1.
        output_dim: length D of each vector.
        embeddings_initializer: initializer of the table (default 'uniform', Keras' RandomUniform(−0.05, 0.05)).
        embeddings_regularizer: optional penalty on the table (e.g. ``regularizers.l2(0.01)``).
        mask_zero: index 0 is padding: the output carries a mask, True where the index is not 0, that the
            layers after it pass on or read (recurrent layers skip those steps, GlobalAveragePooling1D
            leaves them out, a loss on a sequence ignores them). Index 0 still has its row in the table.

    Input shape: (batch, steps) of indices (or (batch, d1, d2)). They arrive in the layer's float dtype,
        as every input: each must be a whole number in [0, input_dim), else a ValueError names the range
        and the bad value. (float32 holds every integer up to 2²⁴ exactly.)
    Output shape: (batch, steps, output_dim), as a Tensor4D (batch, 1, steps, output_dim), the layout of a
        sequence for the 1-D layers (or (batch, d1, d2, output_dim)).
    Weights: embeddings (input_dim, output_dim).

    Equations, with E the table, i[n, t] the indices and G = dL/dY:
        forward   y[n, t, :] = E[i[n, t], :]
        backward  dL/dE[v, :] = Σ over (n, t) with i[n, t] = v of G[n, t, :]  (a scatter-add of the rows
                  of G; rows never looked up get 0); dL/di = 0: indices are not differentiable, and
                  backward returns zeros of the input's shape.
    With the TensorFlow backend Keras hands the optimizer this gradient as an IndexedSlices (one slice
    per looked-up position); its dense form (``tf.convert_to_tensor``) is the dL/dE above, which is what
    redes computes and its optimizers apply: rows never looked up get a zero gradient and their
    moments still decay. Keras' Adam agrees with that when no index repeats within a batch; with
    repeats it squares each slice before the duplicates are summed (v gets Σ g², not (Σ g)²), so
    its trajectory differs (tests/parity/test_sequence_layers.py measures both cases).
    The scatter-add sorts the indices and sums each run with ``np.add.reduceat``, chosen from five
    variants timed at three vocabulary sizes (``_scatter_rows``; timings in benchmarks/README.md).

    Example:
        >>> Embedding(1000, 16)(np.array([[1, 5, 999], [0, 0, 3]])).shape
        (2, 3, 16)
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("input_dim", input_dim)
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = check_bool("mask_zero", mask_zero)

    def build(self, input_shape: tuple) -> None:
        if not 1 <= len(input_shape) <= 2:
            raise ValueError(f"Embedding '{self.name}' expects indices of shape (None, steps) or (None, d1, d2). "
                             f"Received input shape {(None,) + tuple(input_shape)}.")
        self.add_weight(shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
                        regularizer=self.embeddings_regularizer, name="embeddings")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def _indices(self, values):
        """The flat indices as integers, after checking that each is a whole number in [0, input_dim)."""
        finite = xp.isfinite(values)
        indices = xp.where(finite, values, -1).astype(xp.int64)  # nan and ±inf: -1, caught below
        bad = (indices != values) | (indices < 0) | (indices >= self.input_dim)
        if bad.any():
            value = values[xp.flatnonzero(bad)[0]]
            raise ValueError(f"Embedding '{self.name}' expects integer indices in [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}). Received the value {float(value):g}.")
        return indices

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        data = x.data  # (N, 1, steps) + ... : (N, 1, 1, steps), or (N, 1, d1, d2)
        self._x_shape = data.shape
        self._idx = self._indices(data.reshape(-1))
        y = self.embeddings[self._idx]  # (M, D)
        return Tensor4D(y.reshape(data.shape[:1] + data.shape[2:] + (self.output_dim,)))

    def compute_mask(self, x: Tensor4D, mask):
        """(batch, steps) True where the index is not 0, with ``mask_zero``; else None."""
        return x.to_natural(self.input_shape) != 0 if self.mask_zero else None

    def backward(self, grad: Tensor4D) -> Tensor4D:
        if self.trainable:
            rows = grad.data.reshape(-1, self.output_dim)  # (M, D)
            self.set_gradient("embeddings", _scatter_rows(self._idx, rows, self.input_dim))
        return Tensor4D(xp.zeros(self._x_shape, dtype=grad.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero,
        }
