"""SimpleRNN: the fully connected recurrent layer, hₜ = φ(xₜW + hₜ₋₁U + b), with BPTT."""

from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor4D
from .base import _Recurrent


class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer (Elman network), as Keras' SimpleRNN.

    Args:
        units: size of the state h and of the output.
        activation: φ (default tanh).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer, the regularizers, dropout,
        recurrent_dropout, seed, return_sequences, go_backwards, stateful: see ``_Recurrent``.

    Input shape: (batch, steps, features).
    Output shape: (batch, steps, units) with ``return_sequences``, else (batch, units) (the last h).
    Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).

    Equations, step t (h₀ = 0):
        forward   aₜ = xₜW + hₜ₋₁U + b,   hₜ = φ(aₜ)
        backward  (δh = dL/dhₜ from the output and from step t+1)
                  daₜ = φ'(aₜ) ⊙ δh;  δh for step t−1 = daₜ Uᵀ
                  dL/dW = Σₜ xₜᵀ daₜ,  dL/dU = Σₜ hₜ₋₁ᵀ daₜ,  dL/db = Σₜ daₜ,  dL/dxₜ = daₜ Wᵀ

    Example:
        >>> SimpleRNN(4, return_sequences=True)(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 5, 4)
    """

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        a, (h,) = self._begin(x, training)  # a: (T, N, U), xₜW + b so far
        activated = xp.empty_like(a)  # φ(aₜ)
        outputs = xp.empty_like(a)  # hₜ (φ(aₜ), or hₜ₋₁ where step t is masked)
        recurrent_inputs = xp.empty_like(a)  # hₜ₋₁ as it met U
        mask = self.recurrent_mask
        for t in range(a.shape[0]):
            recurrent_inputs[t] = h if mask is None else h * mask
            a[t] += recurrent_inputs[t] @ self.recurrent_kernel
            activated[t] = self.activation(a[t])
            h = outputs[t] = self.carry(t, activated[t], h)
        self._a, self._activated, self._recurrent_inputs = a, activated, recurrent_inputs
        return self._end(outputs, [h])

    def backward(self, grad: Tensor4D) -> Tensor4D:
        a, activated = self._a, self._activated
        d_outputs, (dh,) = self._output_gradient(grad, a.shape[0])  # dh: dL/dh_T, from the returned state
        da = xp.empty_like(a)
        mask = self.recurrent_mask
        for t in reversed(range(a.shape[0])):
            d_new, d_carried = self.split_gradient(t, dh + d_outputs[t])
            da[t] = self.activation.backward(a[t], activated[t], d_new)
            dh = da[t] @ self.recurrent_kernel.T
            if mask is not None:
                dh *= mask
            dh = dh + d_carried
        return self._input_gradients(self._finish_backward(da, da, self._recurrent_inputs), [dh])
