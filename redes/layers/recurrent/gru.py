"""GRU: the gated recurrent unit, Keras 3's layer (reset gate after or before the recurrent product) with BPTT."""

from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor4D
from ...validation import check_bool
from .base import _GatedRecurrent


class GRU(_GatedRecurrent):
    """Gated recurrent unit (Cho et al., 2014), as Keras 3's GRU.

    Args:
        units: size of the state h and of the output.
        activation: of the candidate state (default tanh). recurrent_activation: of the gates z, r (sigmoid).
        reset_after: apply the reset gate after the recurrent product (True, Keras 3's default and
            TensorFlow's cuDNN form) or before it (False, Keras 2's default and the original GRU).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer, the regularizers, dropout,
        recurrent_dropout, seed, return_sequences, return_state, go_backwards, stateful: see ``_Recurrent``.

    Input shape: (batch, steps, features).
    Output shape: (batch, steps, units) with ``return_sequences``, else (batch, units) (the last h).
    Weights: kernel (features, 3·units), recurrent_kernel (units, 3·units), bias (2, 3·units) with
    ``reset_after`` (row 0 the input bias b, row 1 the recurrent bias b'), else (3·units,) (b only); the
    blocks of columns are the gates z, r, h, in Keras' order.

    Equations, step t (σ = recurrent_activation, φ = activation, h₀ = 0), reset after (the default):
        forward   [x_z, x_r, x_h] = xₜW + b,   [u_z, u_r, u_h] = hₜ₋₁U + b'
                  z = σ(x_z + u_z),  r = σ(x_r + u_r),  ĥ = φ(x_h + r ⊙ u_h)
                  hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ
        backward  (δh = dL/dhₜ from the output and from step t+1)
                  dL/dz = δh ⊙ (hₜ₋₁ − ĥ),  dL/dĥ = δh ⊙ (1 − z)
                  a = φ'(·) ⊙ dL/dĥ   (the gradient of x_h + r ⊙ u_h),  dL/dr = a ⊙ u_h
                  dP = [σ'·dL/dz, σ'·dL/dr, a]        (the input terms' gradient)
                  dR = [σ'·dL/dz, σ'·dL/dr, a ⊙ r]    (the recurrent terms' gradient)
                  δh for step t−1 = δh ⊙ z + dR Uᵀ;  dL/dW = Σₜ xₜᵀ dP,  dL/dU = Σₜ hₜ₋₁ᵀ dR,
                  dL/db = Σₜ dP,  dL/db' = Σₜ dR,  dL/dxₜ = dP Wᵀ
    Reset before (``reset_after=False``): ĥ = φ(x_h + (r ⊙ hₜ₋₁) U_h), no b'; then, with g = dL/d(r ⊙ hₜ₋₁)
    = a U_hᵀ: dL/dr = g ⊙ hₜ₋₁, the candidate's block of dL/dU is Σₜ (r ⊙ hₜ₋₁)ᵀ a, and δh for step t−1
    gains g ⊙ r (the z and r blocks as above).

    Example:
        >>> GRU(8)(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 8)
    """

    gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after: bool = True, **kwargs) -> None:
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.reset_after = check_bool("reset_after", reset_after)

    def bias_shape(self) -> tuple:
        """(2, 3·units) with ``reset_after`` (rows b and b'), else (3·units,)."""
        return (2, self.gates * self.units) if self.reset_after else (self.gates * self.units,)

    def input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        projected, (h,) = self._begin(x, training)  # (T, N, 3U): [x_z, x_r, x_h] of every step
        steps, units = projected.shape[0], self.units
        pre_activations = xp.empty_like(projected)  # x_z + u_z, x_r + u_r, and the candidate's
        gates = xp.empty_like(projected)  # z, r, ĥ
        # reset after: u_h = hₜ₋₁U_h + b'_h; reset before: r ⊙ hₜ₋₁, what meets U_h
        recurrent_candidates = xp.empty((steps,) + h.shape, dtype=projected.dtype)
        outputs = xp.empty_like(recurrent_candidates)
        recurrent_inputs = xp.empty_like(recurrent_candidates)
        previous = xp.empty_like(recurrent_candidates)  # hₜ₋₁ as the mix hₜ uses it
        gate_columns, candidate = slice(0, 2 * units), slice(2 * units, None)
        kernel = self.recurrent_kernel if self.reset_after else self.recurrent_kernel[:, gate_columns]
        mask = self.recurrent_mask
        for t in range(steps):
            previous[t] = h
            recurrent_inputs[t] = h if mask is None else h * mask
            recurrent = recurrent_inputs[t] @ kernel
            if self.reset_after and self.use_bias:
                recurrent += self.bias[1]
            pre_activations[t, :, gate_columns] = projected[t, :, gate_columns] + recurrent[:, gate_columns]
            gates[t, :, gate_columns] = self.recurrent_activation(pre_activations[t, :, gate_columns])
            z, r = gates[t, :, :units], gates[t, :, units:2 * units]
            if self.reset_after:
                recurrent_candidates[t] = recurrent[:, candidate]
                pre_activations[t, :, candidate] = projected[t, :, candidate] + r * recurrent_candidates[t]
            else:
                recurrent_candidates[t] = r * recurrent_inputs[t]
                pre_activations[t, :, candidate] = (projected[t, :, candidate]
                                                    + recurrent_candidates[t] @ self.recurrent_kernel[:, candidate])
            candidate_state = gates[t, :, candidate] = self.activation(pre_activations[t, :, candidate])
            h = outputs[t] = self.carry(t, z * h + (1 - z) * candidate_state, h)
        self._pre_activations, self._gates, self._recurrent_candidates = pre_activations, gates, recurrent_candidates
        self._recurrent_inputs, self._previous = recurrent_inputs, previous
        return self._end(outputs, [h])

    def backward(self, grad: Tensor4D) -> Tensor4D:
        pre_activations, gates, units = self._pre_activations, self._gates, self.units
        steps = gates.shape[0]
        d_outputs, (dh,) = self._output_gradient(grad, steps)  # dh: dL/dh through step t+1 (or returned)
        d_projected = xp.empty_like(gates)
        d_recurrent = xp.empty_like(gates)
        gate_columns, candidate = slice(0, 2 * units), slice(2 * units, None)
        mask = self.recurrent_mask
        for t in reversed(range(steps)):
            z, r, candidate_state = (gates[t, :, k * units:(k + 1) * units] for k in range(3))
            a_z, a_r, a_h = (pre_activations[t, :, k * units:(k + 1) * units] for k in range(3))
            dh, dh_carried = self.split_gradient(t, dh + d_outputs[t])  # a masked step passes it straight back
            d_candidate = self.activation.backward(a_h, candidate_state, dh * (1 - z))
            d_z = self.recurrent_activation.backward(a_z, z, dh * (self._previous[t] - candidate_state))
            if self.reset_after:  # a_h = x_h + r ⊙ u_h
                d_r = self.recurrent_activation.backward(a_r, r, d_candidate * self._recurrent_candidates[t])
                d_recurrent[t, :, candidate] = d_candidate * r
            else:  # a_h = x_h + (r ⊙ hₜ₋₁) U_h
                d_reset_input = d_candidate @ self.recurrent_kernel[:, candidate].T  # dL/d(r ⊙ hₜ₋₁)
                d_r = self.recurrent_activation.backward(a_r, r, d_reset_input * self._recurrent_inputs[t])
                d_recurrent[t, :, candidate] = d_candidate
            d_projected[t, :, :units], d_projected[t, :, units:2 * units] = d_z, d_r
            d_projected[t, :, candidate] = d_candidate
            d_recurrent[t, :, gate_columns] = d_projected[t, :, gate_columns]
            if self.reset_after:
                d_through_u = d_recurrent[t] @ self.recurrent_kernel.T
            else:
                d_through_u = d_recurrent[t, :, gate_columns] @ self.recurrent_kernel[:, gate_columns].T
                d_through_u += d_reset_input * r
            if mask is not None:
                d_through_u *= mask
            dh = dh * z + d_through_u + dh_carried
        recurrent_inputs = self._recurrent_inputs if self.reset_after else [
            (self._recurrent_inputs, gate_columns), (self._recurrent_candidates, candidate)]
        return self._input_gradients(self._finish_backward(d_projected, d_recurrent, recurrent_inputs), [dh])

    def bias_gradient(self, d_projected, d_recurrent):
        """Σ dP; with ``reset_after`` [Σ dP, Σ dR]: the input bias is in P, the recurrent bias in R."""
        if not self.reset_after:
            return d_projected.sum(axis=0)
        return xp.stack([d_projected.sum(axis=0), d_recurrent.sum(axis=0)])

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}
