"""LSTM: long short-term memory, Keras 3's layer with its time loop and backpropagation through time."""

from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor4D
from ...validation import check_bool
from .base import _GatedRecurrent


class LSTM(_GatedRecurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), as Keras' LSTM.

    Args:
        units: size of the states h and c, and of the output.
        activation: of the candidate g and of the cell output (default tanh).
        recurrent_activation: of the gates i, f, o (default sigmoid).
        unit_forget_bias: start the forget gate's bias at 1 (Keras' default True).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer, the regularizers, dropout,
        recurrent_dropout, seed, return_sequences, go_backwards, stateful: see ``_Recurrent``.

    Input shape: (batch, steps, features).
    Output shape: (batch, steps, units) with ``return_sequences``, else (batch, units) (the last h).
    Weights: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units,); the four
    blocks of columns are the gates i, f, c (candidate g), o, in Keras' order.

    Equations, step t (σ = recurrent_activation, φ = activation, h₀ = c₀ = 0):
        forward   z = xₜW + hₜ₋₁U + b = [zᵢ, z_f, z_g, zₒ]
                  i = σ(zᵢ),  f = σ(z_f),  g = φ(z_g),  o = σ(zₒ)
                  cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ φ(cₜ)
        backward  (δh = dL/dhₜ from the output and from step t+1, δc from step t+1)
                  dL/do = δh ⊙ φ(cₜ),  δc ← δc + φ'(cₜ) ⊙ δh ⊙ o
                  dL/di = δc ⊙ g,  dL/dg = δc ⊙ i,  dL/df = δc ⊙ cₜ₋₁,  δc for step t−1 = δc ⊙ f
                  dz = [σ'(zᵢ)·dL/di, σ'(z_f)·dL/df, φ'(z_g)·dL/dg, σ'(zₒ)·dL/do]
                  δh for step t−1 = dz Uᵀ;  dL/dW = Σₜ xₜᵀ dz,  dL/dU = Σₜ hₜ₋₁ᵀ dz,  dL/db = Σₜ dz,  dL/dxₜ = dz Wᵀ

    Example:
        >>> LSTM(8)(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 8)
        >>> LSTM(8, return_sequences=True)(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 5, 8)
    """

    gates = 4
    state_count = 2

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, **kwargs) -> None:
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.unit_forget_bias = check_bool("unit_forget_bias", unit_forget_bias)

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        if self.use_bias and self.unit_forget_bias:
            self.bias[self.units:2 * self.units] = 1.0  # the forget gate starts open, as Keras

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        z, (h, c) = self._begin(x, training)  # z: (T, N, 4U), xₜW + b so far
        steps, units = z.shape[0], self.units
        self._first_cell = c  # c₀, for dL/df at the first step
        gates = xp.empty_like(z)  # i, f, g, o of every step
        cells = xp.empty((steps,) + c.shape, dtype=z.dtype)  # cₜ made by step t
        carried = xp.empty_like(cells)  # the state c after step t (cₜ₋₁ kept where step t is masked)
        cell_outputs = xp.empty_like(cells)  # φ(cₜ)
        outputs = xp.empty_like(cells)  # hₜ
        recurrent_inputs = xp.empty_like(cells)  # hₜ₋₁ as it met U
        sigmoid_columns, candidate = (slice(0, 2 * units), slice(3 * units, None)), slice(2 * units, 3 * units)
        mask = self.recurrent_mask
        for t in range(steps):
            recurrent_inputs[t] = h if mask is None else h * mask
            z[t] += recurrent_inputs[t] @ self.recurrent_kernel
            for columns in sigmoid_columns:  # i, f and o
                gates[t, :, columns] = self.recurrent_activation(z[t, :, columns])
            gates[t, :, candidate] = self.activation(z[t, :, candidate])  # g
            i, f, g, o = _split(gates[t], units)
            cells[t] = f * c + i * g
            cell_outputs[t] = self.activation(cells[t])
            c = carried[t] = self.carry(t, cells[t], c)
            h = outputs[t] = self.carry(t, o * cell_outputs[t], h)
        self._z, self._gates, self._cells, self._cell_outputs, self._carried = z, gates, cells, cell_outputs, carried
        self._recurrent_inputs = recurrent_inputs
        return self._end(outputs, [h, c])

    def backward(self, grad: Tensor4D) -> Tensor4D:
        z, gates, cells, cell_outputs, units = self._z, self._gates, self._cells, self._cell_outputs, self.units
        steps = z.shape[0]
        d_outputs, (dh, dc) = self._output_gradient(grad, steps)  # dL/dh, dL/dc through step t+1 (or returned)
        dz = xp.empty_like(z)
        mask = self.recurrent_mask
        for t in reversed(range(steps)):
            i, f, g, o = _split(gates[t], units)
            c_previous = self._carried[t - 1] if t > 0 else self._first_cell
            dh, dh_carried = self.split_gradient(t, dh + d_outputs[t])  # a masked step passes both straight back
            dc, dc_carried = self.split_gradient(t, dc)
            dc = dc + self.activation.backward(cells[t], cell_outputs[t], dh * o)
            d_gates = (dc * g, dc * c_previous, dc * i, dh * cell_outputs[t])  # dL/di, dL/df, dL/dg, dL/do
            for k, d_gate in enumerate(d_gates):
                columns = slice(k * units, (k + 1) * units)
                activation = self.activation if k == 2 else self.recurrent_activation
                dz[t, :, columns] = activation.backward(z[t, :, columns], gates[t, :, columns], d_gate)
            dc = dc * f + dc_carried
            dh = dz[t] @ self.recurrent_kernel.T
            if mask is not None:
                dh *= mask
            dh = dh + dh_carried
        return self._input_gradients(self._finish_backward(dz, dz, self._recurrent_inputs), [dh, dc])

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


def _split(gates, units: int) -> tuple:
    """The blocks i, f, g, o of one step's (N, 4·units) gate values (views)."""
    return tuple(gates[:, k * units:(k + 1) * units] for k in range(4))
