"""_Recurrent: what SimpleRNN, LSTM and GRU share — weights, the input projection, dropout masks,
state kept between batches, and the gradients of the weights once the time loop has run.

Each recurrent layer writes only its time loop, forward and backward side by side with its
equations (``simple_rnn.py``, ``lstm.py``, ``gru.py``). Around that loop this base class does, for
all time steps at once (one GEMM each, no loop):
    before   the sequence as a time-major (T, N, F) array, reversed for ``go_backwards``, with the
             input dropout mask applied; P = X·W (+ input bias), the input's share of every gate
    after    dL/dW = Xᵀ·dP,  dL/dU = Hᵀ·dR,  dL/db = Σ dP (GRU: also Σ dR),  dL/dX = dP·Wᵀ,
             where dP and dR are the gradients of the gates' pre-activations through their input
             and recurrent terms (the same array except in GRU), and H holds the states h_{t−1}
             that entered the recurrent product (after recurrent dropout).
Time-major arrays keep each step's (N, ·) block contiguous for the per-step GEMM h_{t−1}·U.
"""

from __future__ import annotations

from ... import activations, backend, initializers, regularizers
from ...backend import xp
from ...serialization import serialize
from ...tensor import Tensor4D
from ...validation import check_bool, check_float, check_non_negative_int, check_positive_int
from .._kernel import KernelLayer


class _Recurrent(KernelLayer):
    """Base of the recurrent layers: a state carried along the steps of ``(batch, steps, features)``.

    Args (Keras 3's, shared by SimpleRNN, LSTM and GRU):
        units: size of the state h (and of the output).
        activation: of the state (or candidate state); default tanh.
        use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as Dense.
        recurrent_initializer, recurrent_regularizer: of the recurrent kernel (default 'orthogonal', None).
        dropout: fraction of the input features dropped in training, one mask for all steps.
        recurrent_dropout: fraction of the state h_{t−1} dropped where it enters h_{t−1}·U, one mask for
            all steps. With ``recurrent_dropout`` > 0 Keras' LSTM and GRU switch to their per-gate form
            and draw one mask per gate for both dropouts; here one mask is shared by the gates (the tied
            variational dropout of Gal & Ghahramani, 2016), which keeps one GEMM per step instead of
            one per gate. The masks are random either way, so no run of the two can match exactly.
        seed: seed of the dropout masks' generator (default the global one, ``redes.set_random_seed``).
        return_sequences: output every step's h, (batch, steps, units), or only the last, (batch, units).
        return_state: also return the final states: [output, h] (LSTM: [output, h, c]), each (batch, units).
            Called as ``layer(x, initial_state=[h₀(, c₀)])``, the states start from those tensors (an
            encoder's final states, say) and their gradients flow back to them.
        go_backwards: run over the steps in reverse order (the output sequence is then reversed too, as Keras).
        stateful: start each batch from the last states of the previous one (batches of one size;
            ``reset_states()`` sets them to zero). Gradients stop at the batch's first step.
        unroll: accepted and saved for Keras code; it changes nothing here: Keras unrolls its symbolic
            loop for speed, and redes' loop over the steps is always a plain Python loop (same results).

    Input shape: (batch, steps, features), as a Tensor4D (batch, 1, steps, features). A mask on the
    input (``Embedding(mask_zero=True)``, ``Masking``) makes the layer skip the masked steps: there the
    states stay what they were and the output repeats the previous step's (Keras' rule).
    Weights: kernel (features, gates·units), recurrent_kernel (units, gates·units), bias (gates·units,)
    — Keras' order and shapes, gates side by side in Keras' order.
    """

    gates = 1  # blocks of `units` columns in the kernels
    state_count = 1  # h, or (h, c) for LSTM

    def __init__(self, units: int, activation="tanh", use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, **kwargs) -> None:
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.units = check_positive_int("units", units)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, include_maximum=False)
        self.recurrent_dropout = check_float("recurrent_dropout", recurrent_dropout, 0.0, 1.0, include_maximum=False)
        self.seed = check_non_negative_int("seed", seed, allow_none=True)
        self._generator = None if self.seed is None else xp.random.default_rng(self.seed)
        self.return_sequences = check_bool("return_sequences", return_sequences)
        self.return_state = check_bool("return_state", return_state)
        self.go_backwards = check_bool("go_backwards", go_backwards)
        self.stateful = check_bool("stateful", stateful)
        self.unroll = check_bool("unroll", unroll)  # Keras' graph-building choice; here the loop is always Python's
        self.states: list | None = None  # the last states, kept between batches when stateful

    # ------------------------------------------------------------------ shapes and weights
    def __call__(self, inputs, training: bool = False, initial_state=None):
        """As any layer's; ``initial_state`` (a list: [h₀], or [h₀, c₀] for LSTM, each (batch, units)) starts
        the states from those tensors instead of zeros; their gradients flow back to them."""
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            inputs = [inputs, *states]
        if isinstance(inputs, (list, tuple)):
            self._takes_list = True  # the sequence and its initial states
        return super().__call__(inputs, training=training)

    def build(self, input_shape: tuple | list) -> None:
        input_shape = self._check_initial_states(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"{type(self).__name__} takes sequences of shape (batch, steps, features). "
                             f"Received feature shape {input_shape}.")
        width = self.gates * self.units
        self.add_weight(shape=(input_shape[-1], width), initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, name="kernel")
        self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer, name="recurrent_kernel")
        if self.use_bias:
            self.add_weight(shape=self.bias_shape(), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, name="bias")

    def bias_shape(self) -> tuple:
        """(gates·units,); GRU's reset-after bias is (2, gates·units)."""
        return (self.gates * self.units,)

    def _check_initial_states(self, input_shape: tuple | list) -> tuple:
        """The sequence's shape; ValueError unless the initial states (if any) are ``state_count`` × (units,)."""
        if not isinstance(input_shape, list):
            return input_shape
        states = [tuple(shape) for shape in input_shape[1:]]
        if states != [(self.units,)] * self.state_count:
            raise ValueError(f"{type(self).__name__} '{self.name}' takes {self.state_count} initial state(s) of shape "
                             f"(None, {self.units}). Received shapes {[(None,) + s for s in states]}.")
        return tuple(input_shape[0])

    def compute_output_shape(self, input_shape: tuple | list) -> tuple | list:
        """(steps, units) with ``return_sequences``, else (units,); then one (units,) per state with ``return_state``."""
        input_shape = self._check_initial_states(input_shape)
        output = (input_shape[0], self.units) if self.return_sequences else (self.units,)
        return [output] + [(self.units,)] * self.state_count if self.return_state else output

    def reset_states(self) -> None:
        """Forget the states a stateful layer carried over: the next batch starts from zeros."""
        self.states = None

    # ------------------------------------------------------------------ around the time loop
    def _begin(self, x, training: bool) -> tuple:
        """(P, initial states): P = X·W + b for all steps, (T, N, gates·units), time-major.

        Caches the sequence X (T, N, F) after dropout and the recurrent dropout mask for the loop.
        ``x`` is the sequence, or [sequence, *initial states] (``initial_state``).
        """
        given = None
        if isinstance(x, list):
            x, given = x[0], [state.data.reshape(x[0].shape[0], self.units) for state in x[1:]]
        self._given_states = given is not None
        batch, _, steps, features = x.shape
        sequence = x.data.reshape(batch, steps, features).transpose(1, 0, 2)  # (T, N, F), a view
        if self.go_backwards:
            sequence = sequence[::-1]
        self._input_mask = self._dropout_mask((batch, features), self.dropout, training)
        if self._input_mask is not None:
            sequence = sequence * self._input_mask
        self._sequence = xp.ascontiguousarray(sequence)
        self.recurrent_mask = self._dropout_mask((batch, self.units), self.recurrent_dropout, training)
        self._keep = None  # (T, N, 1): True where step t of sample n holds data (the input's mask)
        if x.mask is not None:
            keep = x.mask.reshape(batch, steps).T[:, :, None]
            self._keep = keep[::-1] if self.go_backwards else keep
        projected = (self._sequence.reshape(steps * batch, features) @ self.kernel).reshape(steps, batch, -1)
        if self.use_bias:
            projected += self.input_bias()
        return projected, given if given is not None else self._initial_states(batch)

    def carry(self, t: int, new, previous):
        """The state after step t: ``new``, but ``previous`` for the samples whose step t is masked (Keras)."""
        return new if self._keep is None else xp.where(self._keep[t], new, previous)

    def split_gradient(self, t: int, grad) -> tuple:
        """(dL/d(new state), dL/d(previous state) carried straight through) of a state's gradient at step t:
        a masked step copied the previous state, so its gradient goes back unchanged."""
        if self._keep is None:
            return grad, 0.0
        return grad * self._keep[t], grad * ~self._keep[t]

    def compute_mask(self, x: Tensor4D, mask):
        """The input's mask for a returned sequence (as Keras, not reversed by ``go_backwards``); else None."""
        return mask if self.return_sequences else None

    def input_bias(self):
        """The bias added to the input projection (GRU's reset-after bias: its first row)."""
        return self.bias

    def _initial_states(self, batch: int) -> list:
        if self.stateful and self.states is not None:
            if self.states[0].shape[0] != batch:
                raise ValueError(f"Stateful layer '{self.name}' carries states for batches of "
                                 f"{self.states[0].shape[0]}; received a batch of {batch}. Use one batch size "
                                 "(and shuffle=False), or call reset_states().")
            return self.states
        return [xp.zeros((batch, self.units), dtype=self.dtype) for _ in range(self.state_count)]

    def _dropout_mask(self, shape: tuple, rate: float, training: bool):
        """An inverted-dropout mask [u ≥ rate] / (1 − rate) of ``shape``, or None outside training."""
        if not training or rate == 0.0:
            return None
        generator = self._generator if self._generator is not None else backend.rng()
        keep = generator.random(shape) >= rate
        return (keep / (1.0 - rate)).astype(self.dtype)

    def _end(self, outputs, states: list):
        """The layer's output from the states h_t of every step (T, N, units), and with ``return_state``
        the final states: a list [output, h] (LSTM: [output, h, c])."""
        if self.stateful:
            self.states = [state.copy() for state in states]
        steps, batch, _ = outputs.shape
        if not self.return_sequences:
            output = Tensor4D(xp.ascontiguousarray(outputs[-1]).reshape(batch, 1, 1, self.units))
        else:
            output = Tensor4D(xp.ascontiguousarray(outputs.transpose(1, 0, 2)).reshape(batch, 1, steps, self.units))
        if not self.return_state:
            return output
        return [output] + [Tensor4D(state.reshape(batch, 1, 1, self.units)) for state in states]

    def _output_gradient(self, grad, steps: int) -> tuple:
        """(dL/dh_t for every step (T, N, units), [dL/d(final state)]) from the output's gradient (the last
        step's only, without ``return_sequences``) and, with ``return_state``, the states' (None: zero)."""
        grads = list(grad) if self.return_state else [grad]
        output_grad = grads[0]
        batch = next(g.shape[0] for g in grads if g is not None)
        dtype = next(g.dtype for g in grads if g is not None)
        final = [xp.zeros((batch, self.units), dtype=dtype) if g is None else g.data.reshape(batch, self.units)
                 for g in (grads[1:] if self.return_state else [None] * self.state_count)]
        if output_grad is not None and self.return_sequences:
            return output_grad.data.reshape(batch, steps, self.units).transpose(1, 0, 2), final
        d_outputs = xp.zeros((steps, batch, self.units), dtype=dtype)
        if output_grad is not None:
            d_outputs[-1] = output_grad.data.reshape(batch, self.units)
        return d_outputs, final

    def _input_gradients(self, d_sequence: Tensor4D, d_initial: list):
        """dL/dx, and [dL/dx, dL/dh₀, (dL/dc₀)] when the layer was given ``initial_state``."""
        if not self._given_states:
            return d_sequence
        return [d_sequence] + [Tensor4D(g.reshape(g.shape[0], 1, 1, self.units)) for g in d_initial]

    def _finish_backward(self, d_projected, d_recurrent, recurrent_inputs) -> Tensor4D:
        """Weight gradients and dL/dx from the gates' pre-activation gradients of every step.

        d_projected, d_recurrent: (T, N, gates·units) through the input and the recurrent terms;
        recurrent_inputs: (T, N, units), the h_{t−1} (after recurrent dropout) that met U at step t; or a
        list of (inputs, columns) when the blocks of U met different inputs (GRU with the reset gate
        before the product: r ⊙ h_{t−1} meets the candidate's columns).
        """
        steps, batch, width = d_projected.shape
        flat = d_projected.reshape(steps * batch, width)
        if self.trainable:
            features = self._sequence.shape[-1]
            self.set_gradient("kernel", self._sequence.reshape(steps * batch, features).T @ flat)
            blocks = recurrent_inputs if isinstance(recurrent_inputs, list) else [(recurrent_inputs, slice(None))]
            d_flat = d_recurrent.reshape(steps * batch, width)
            d_kernel = xp.empty_like(self.recurrent_kernel)
            for inputs, columns in blocks:
                d_kernel[:, columns] = inputs.reshape(steps * batch, self.units).T @ d_flat[:, columns]
            self.set_gradient("recurrent_kernel", d_kernel)
            if self.use_bias:
                self.set_gradient("bias", self.bias_gradient(flat, d_recurrent.reshape(steps * batch, width)))
        d_sequence = (flat @ self.kernel.T).reshape(steps, batch, -1)
        if self._input_mask is not None:
            d_sequence *= self._input_mask
        if self.go_backwards:
            d_sequence = d_sequence[::-1]
        return Tensor4D(xp.ascontiguousarray(d_sequence.transpose(1, 0, 2)).reshape(batch, 1, steps, -1))

    def bias_gradient(self, d_projected, d_recurrent):
        """dL/db from the (T·N, gates·units) pre-activation gradients: Σ dP (the bias is in P)."""
        return d_projected.sum(axis=0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
        }


class _GatedRecurrent(_Recurrent):
    """A recurrent layer with gates (LSTM, GRU): ``recurrent_activation`` (default sigmoid) makes them."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", **kwargs) -> None:
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation)}
