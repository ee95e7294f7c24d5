"""redes.ops: each op's value and VJP against float64 central differences and against the same op of
keras.ops (TensorFlow backend) under tf.GradientTape, in float32 and float64, over broadcasting shapes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from helpers import GRADCHECK_TOLERANCE, assert_parity, import_tensorflow, numerical_gradient, relative_error
from redes import GradientTape, ops
from tolerances import ACTIVATION_FLOAT64_RTOL, FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL, tolerance

CONDITION = np.array([[True, False, True, False]] * 3)
INDICES = np.array([2, 0, 2])
ALONG = np.array([[1, 0], [3, 3], [0, 2]])
BINARY_TARGET = (np.arange(12).reshape(3, 4) % 3) / 2.0  # 0, 0.5, 1
ONE_HOT = np.eye(4)[[2, 0, 3]]
LABELS = np.array([2, 0, 3])


def _like(constant: np.ndarray, x) -> np.ndarray:
    """``constant`` in the dtype of ``x``, a NumPy or a TensorFlow array."""
    return constant.astype(x.dtype.name)


@dataclass
class Case:
    """``call(module, *inputs)`` runs the op with ``module`` = redes.ops or keras.ops, on inputs of ``shapes``."""

    name: str
    call: object
    shapes: list
    positive: bool = False  # inputs in [0.5, 2] (log, sqrt, divide, power) rather than standard normal
    float64_rtol: float | None = None  # where TensorFlow keeps a constant in float32 (tolerances.py)
    id: str = field(default="")

    def __post_init__(self):
        self.id = self.id or self.name


CASES = [
    Case("add", lambda o, a, b: o.add(a, b), [(3, 4), (4,)]),
    Case("subtract", lambda o, a, b: o.subtract(a, b), [(2, 3, 1), (3, 4)]),
    Case("multiply", lambda o, a, b: o.multiply(a, b), [(3, 4), (3, 1)]),
    Case("divide", lambda o, a, b: o.divide(a, b), [(3, 4), (4,)], positive=True),
    Case("power", lambda o, a, b: o.power(a, b), [(3, 4), (4,)], positive=True),
    Case("operators", lambda o, a, b: (a * b - a / (b + 3.0)) ** 2 @ o.transpose(b) @ a + (-a), [(3, 4), (3, 4)]),
    Case("reciprocal", lambda o, x: o.reciprocal(x) + x ** -1, [(3, 4)], positive=True),
    Case("negative", lambda o, x: o.negative(x), [(3, 4)]),
    Case("square", lambda o, x: o.square(x), [(3, 4)]),
    Case("sqrt", lambda o, x: o.sqrt(x), [(3, 4)], positive=True),
    Case("exp", lambda o, x: o.exp(x), [(3, 4)]),
    Case("log", lambda o, x: o.log(x), [(3, 4)], positive=True),
    Case("log1p", lambda o, x: o.log1p(x), [(3, 4)], positive=True),
    Case("abs", lambda o, x: o.abs(x), [(3, 4)]),
    Case("clip", lambda o, x: o.clip(x, -0.5, 0.5), [(3, 4)]),
    Case("where", lambda o, a, b: o.where(CONDITION, a, b), [(3, 4), (4,)]),
    Case("maximum", lambda o, a, b: o.maximum(a, b), [(3, 4), (4,)]),
    Case("minimum", lambda o, a, b: o.minimum(a, b), [(3, 4), (1, 4)]),
    Case("matmul", lambda o, a, b: o.matmul(a, b), [(2, 3, 4), (4, 5)]),
    Case("matmul", lambda o, a, b: o.matmul(a, b), [(4,), (2, 4, 5)], id="matmul-vector-left"),
    Case("matmul", lambda o, a, b: o.matmul(a, b), [(3, 4), (4,)], id="matmul-vector-right"),
    Case("dot", lambda o, a, b: o.dot(a, b), [(3, 4), (4, 5)]),
    Case("tensordot", lambda o, a, b: o.tensordot(a, b, axes=([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 5)]),
    Case("einsum", lambda o, a, b: o.einsum("bij,jk->bik", a, b), [(2, 3, 4), (4, 5)]),
    Case("einsum", lambda o, a, b: o.einsum("ij,ij->i", a, b), [(3, 4), (3, 4)], id="einsum-rowwise"),
    Case("einsum", lambda o, a: o.einsum("...ij->...j", a), [(2, 3, 4)], id="einsum-ellipsis"),
    Case("sum", lambda o, x: o.sum(x, axis=1, keepdims=True), [(2, 3, 4)]),
    Case("mean", lambda o, x: o.mean(x, axis=(0, 2)), [(2, 3, 4)]),
    Case("var", lambda o, x: o.var(x, axis=-1), [(3, 4)]),
    Case("std", lambda o, x: o.std(x, axis=0), [(3, 4)]),
    Case("max", lambda o, x: o.max(x, axis=1), [(3, 4)]),
    Case("min", lambda o, x: o.min(x), [(3, 4)]),
    Case("logsumexp", lambda o, x: o.logsumexp(x, axis=-1), [(3, 4)]),
    Case("norm", lambda o, x: o.norm(x, axis=-1), [(3, 4)]),
    Case("relu", lambda o, x: o.relu(x), [(3, 4)]),
    Case("sigmoid", lambda o, x: o.sigmoid(x), [(3, 4)]),
    Case("tanh", lambda o, x: o.tanh(x), [(3, 4)]),
    Case("softmax", lambda o, x: o.softmax(x, axis=-1), [(3, 4)]),
    Case("log_softmax", lambda o, x: o.log_softmax(x, axis=0), [(3, 4)]),
    # TensorFlow casts 0.044715 to the dtype through float32 (tf.nn.gelu: math_ops.cast of a Python float)
    Case("gelu", lambda o, x: o.gelu(x), [(3, 4)], float64_rtol=FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL),
    Case("gelu", lambda o, x: o.gelu(x, approximate=False), [(3, 4)], float64_rtol=ACTIVATION_FLOAT64_RTOL["gelu"],
         id="gelu-exact"),
    Case("silu", lambda o, x: o.silu(x), [(3, 4)]),
    Case("elu", lambda o, x: o.elu(x, alpha=0.5), [(3, 4)]),
    Case("leaky_relu", lambda o, x: o.leaky_relu(x), [(3, 4)], float64_rtol=FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL),
    Case("softplus", lambda o, x: o.softplus(x), [(3, 4)]),
    Case("reshape", lambda o, x: o.reshape(x, (2, 6)), [(3, 4)]),
    Case("transpose", lambda o, x: o.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    Case("expand_dims", lambda o, x: o.expand_dims(x, 1), [(3, 4)]),
    Case("squeeze", lambda o, x: o.squeeze(x, axis=1), [(3, 1, 4)]),
    Case("broadcast_to", lambda o, x: o.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    Case("concatenate", lambda o, a, b: o.concatenate([a, b], axis=1), [(3, 4), (3, 2)]),
    Case("stack", lambda o, a, b: o.stack([a, b], axis=1), [(3, 4), (3, 4)]),
    Case("split", lambda o, x: o.split(x, 2, axis=1)[1] * 2 + o.split(x, [1], axis=1)[0], [(3, 4)]),
    Case("take", lambda o, x: o.take(x, INDICES, axis=1), [(3, 4)]),
    Case("take_along_axis", lambda o, x: o.take_along_axis(x, ALONG, axis=1), [(3, 4)]),
    Case("getitem", lambda o, x: x[1:, ::2] + x[0][None, ::2] + x[1:, 1:2], [(3, 4)]),
    Case("top_k", lambda o, x: o.top_k(x, 2)[0], [(3, 4)]),
    Case("expm1", lambda o, x: o.expm1(x), [(3, 4)]),
    Case("log2", lambda o, x: o.log2(x), [(3, 4)], positive=True),
    Case("log10", lambda o, x: o.log10(x), [(3, 4)], positive=True),
    Case("rsqrt", lambda o, x: o.rsqrt(x), [(3, 4)], positive=True),
    Case("erf", lambda o, x: o.erf(x), [(3, 4)]),
    Case("sin", lambda o, x: o.sin(x), [(3, 4)]),
    Case("cos", lambda o, x: o.cos(x), [(3, 4)]),
    Case("tan", lambda o, x: o.tan(x), [(3, 4)], positive=True),  # [0.5, 2]: both sides of π/2 kept apart
    Case("arcsin", lambda o, x: o.arcsin(x * 0.4), [(3, 4)], positive=True),
    Case("arccos", lambda o, x: o.arccos(x * 0.4), [(3, 4)], positive=True),
    Case("arctan", lambda o, x: o.arctan(x), [(3, 4)]),
    Case("arctan2", lambda o, a, b: o.arctan2(a, b), [(3, 4), (4,)]),
    Case("sinh", lambda o, x: o.sinh(x), [(3, 4)]),
    Case("cosh", lambda o, x: o.cosh(x), [(3, 4)]),
    Case("arcsinh", lambda o, x: o.arcsinh(x), [(3, 4)]),
    Case("arccosh", lambda o, x: o.arccosh(x + 1.0), [(3, 4)], positive=True),
    Case("arctanh", lambda o, x: o.arctanh(x * 0.4), [(3, 4)], positive=True),
    Case("relu6", lambda o, x: o.relu6(x * 4), [(3, 4)]),
    Case("hard_sigmoid", lambda o, x: o.hard_sigmoid(x * 3), [(3, 4)]),
    Case("hard_silu", lambda o, x: o.hard_silu(x * 3), [(3, 4)]),
    Case("hard_swish", lambda o, x: o.hard_swish(x * 3), [(3, 4)]),
    Case("selu", lambda o, x: o.selu(x), [(3, 4)]),
    Case("softsign", lambda o, x: o.softsign(x), [(3, 4)]),
    Case("binary_crossentropy", lambda o, x: o.binary_crossentropy(_like(BINARY_TARGET, x), x * 0.4),
         [(3, 4)], positive=True),
    Case("binary_crossentropy", lambda o, x: o.binary_crossentropy(_like(BINARY_TARGET, x), x, from_logits=True),
         [(3, 4)], id="binary_crossentropy-logits"),
    Case("categorical_crossentropy", lambda o, x: o.categorical_crossentropy(_like(ONE_HOT, x), x), [(3, 4)],
         positive=True),
    Case("categorical_crossentropy", lambda o, x: o.categorical_crossentropy(
        _like(ONE_HOT.T * 0.5 + 0.125, x), x, from_logits=True, axis=0), [(4, 3)], id="categorical_crossentropy-logits"),
    Case("sparse_categorical_crossentropy", lambda o, x: o.sparse_categorical_crossentropy(LABELS, x * 0.2), [(3, 4)],
         positive=True),
    Case("sparse_categorical_crossentropy", lambda o, x: o.sparse_categorical_crossentropy(LABELS, x, from_logits=True),
         [(3, 4)], id="sparse_categorical_crossentropy-logits"),
    Case("outer", lambda o, a, b: o.outer(a, b), [(3,), (2, 2)]),
    Case("inner", lambda o, a, b: o.inner(a, b), [(2, 4), (3, 4)]),
    Case("vdot", lambda o, a, b: o.vdot(a, b), [(3, 4), (3, 4)]),
    Case("trace", lambda o, x: o.trace(x), [(3, 4)]),
    Case("trace", lambda o, x: o.trace(x, offset=1, axis1=2, axis2=0), [(3, 2, 4)], id="trace-axes"),
    Case("inv", lambda o, x: o.inv(x + 3 * o.eye(3, dtype=x.dtype.name)), [(2, 3, 3)]),
    Case("det", lambda o, x: o.det(x), [(2, 3, 3)]),
    Case("solve", lambda o, a, b: o.solve(a + 3 * o.eye(3, dtype=a.dtype.name), b), [(2, 3, 3), (2, 3, 2)]),
    Case("moments", lambda o, x: o.moments(x, axes=[0, 2])[0] * 2 + o.moments(x, axes=[0, 2])[1], [(2, 3, 4)]),
    Case("normalize", lambda o, x: o.normalize(x, axis=-1), [(3, 4)]),
    Case("average", lambda o, x, w: o.average(x, axis=1, weights=w), [(3, 4), (4,)], positive=True),
    Case("average", lambda o, x, w: o.average(x, weights=w), [(3, 4), (3, 4)], positive=True, id="average-all"),
    Case("average", lambda o, x: o.average(x, axis=0), [(3, 4)], id="average-mean"),
    Case("cumsum", lambda o, x: o.cumsum(x, axis=1), [(3, 4)]),
    Case("cumsum", lambda o, x: o.cumsum(x), [(3, 4)], id="cumsum-flat"),
    Case("cumprod", lambda o, x: o.cumprod(x, axis=0), [(3, 4)]),
    Case("cumprod", lambda o, x: o.cumprod(x), [(3, 4)], id="cumprod-flat"),
    Case("prod", lambda o, x: o.prod(x, axis=1), [(3, 4)]),
    Case("prod", lambda o, x: o.prod(x, axis=(0, 2), keepdims=True), [(2, 3, 4)], id="prod-keepdims"),
    Case("sort", lambda o, x: o.sort(x, axis=-1), [(3, 4)]),
    Case("sort", lambda o, x: o.sort(x, axis=0), [(3, 4)], id="sort-axis0"),
    Case("flip", lambda o, x: o.flip(x, axis=1), [(3, 4)]),
    Case("roll", lambda o, x: o.roll(x, 2, axis=1), [(3, 4)]),
    Case("roll", lambda o, x: o.roll(x, -5), [(3, 4)], id="roll-flat"),
    Case("swapaxes", lambda o, x: o.swapaxes(x, 0, 2), [(2, 3, 4)]),
    Case("moveaxis", lambda o, x: o.moveaxis(x, 0, -1), [(2, 3, 4)]),
    Case("moveaxis", lambda o, x: o.moveaxis(x, [0, 1], [2, 0]), [(2, 3, 4)], id="moveaxis-two"),
    Case("tile", lambda o, x: o.tile(x, (2, 1, 3)), [(3, 4)]),
    Case("repeat", lambda o, x: o.repeat(x, 2, axis=1), [(3, 4)]),
    Case("repeat", lambda o, x: o.repeat(x, 3), [(3, 4)], id="repeat-flat"),
    Case("pad", lambda o, x: o.pad(x, ((1, 2), (0, 3))), [(3, 4)]),
    Case("pad", lambda o, x: o.pad(x, ((1, 0), (2, 1)), constant_values=1.5), [(3, 4)], id="pad-constant"),
    Case("tril", lambda o, x: o.tril(x, -1), [(2, 3, 4)]),
    Case("triu", lambda o, x: o.triu(x, 1), [(3, 4)]),
]
ZERO_GRADIENT = {"sign", "floor", "ceil", "round"}
NOT_DIFFERENTIABLE = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "argmax", "argsort",
                      "one_hot", "shape", "stop_gradient", "convert_to_numpy", "convert_to_tensor", "cast",
                      "absolute", "unbroadcast", "arange", "eye", "full", "full_like", "linspace", "meshgrid", "ones",
                      "ones_like", "zeros", "zeros_like", "any", "all", "count_nonzero"}


def _inputs(case: Case, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, shape) if case.positive else rng.standard_normal(shape) for shape in case.shapes]


def _redes_value_and_gradients(case: Case, xs: list, upstream: np.ndarray | None = None):
    with GradientTape() as tape:
        tape.watch(xs)
        y = case.call(ops, *[ops.convert_to_tensor(x) for x in xs])  # Traced views: operators are recorded
        upstream = np.random.default_rng(1).standard_normal(np.shape(y)).astype(y.dtype) if upstream is None else upstream
        loss = ops.sum(y * upstream)
    return np.asarray(y), tape.gradient(loss, xs), upstream


def test_every_differentiable_op_has_a_case():
    tested = {case.name for case in CASES}
    missing = sorted(set(ops.__all__) - tested - NOT_DIFFERENTIABLE - ZERO_GRADIENT)
    assert not missing, f"ops without a gradient test: {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_vjp_matches_central_differences(case):
    xs = _inputs(case)
    _, grads, upstream = _redes_value_and_gradients(case, xs)

    def loss() -> float:
        return float(np.sum(np.asarray(case.call(ops, *xs)) * upstream))

    for k, (x, grad) in enumerate(zip(xs, grads)):
        error = relative_error(grad, numerical_gradient(loss, x))
        assert error < GRADCHECK_TOLERANCE, f"{case.id}: input {k}, relative error {error:.2e}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_value_and_vjp_match_tensorflow(case, dtype):
    tf = import_tensorflow()
    import keras
    xs = [x.astype(dtype) for x in _inputs(case)]
    y, grads, upstream = _redes_value_and_gradients(case, xs)
    tensors = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        y_tf = case.call(keras.ops, *tensors)
        loss = tf.reduce_sum(y_tf * upstream)
    grads_tf = tape.gradient(loss, tensors)
    tol = case.float64_rtol if dtype == "float64" and case.float64_rtol else tolerance(dtype)
    assert y.dtype == np.dtype(dtype)
    assert_parity(f"ops.{case.name} value", dtype, y, y_tf.numpy(), tol)
    for grad, grad_tf in zip(grads, grads_tf):
        assert grad.dtype == np.dtype(dtype)
        assert_parity(f"ops.{case.name} gradient", dtype, grad, grad_tf.numpy(), tol)


def test_max_shares_the_gradient_among_ties_as_tensorflow():
    tf = import_tensorflow()
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for axis in (None, 1):
        with GradientTape() as tape:
            tape.watch(x)
            y = ops.sum(ops.max(x, axis=axis) * 2.0)
        x_tf = tf.constant(x)
        with tf.GradientTape() as tf_tape:
            tf_tape.watch(x_tf)
            y_tf = tf.reduce_sum(tf.reduce_max(x_tf, axis=axis) * 2.0)
        np.testing.assert_array_equal(tape.gradient(y, x), tf_tape.gradient(y_tf, x_tf).numpy())


def test_maximum_gives_ties_to_the_first_argument_as_tensorflow():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    with GradientTape() as tape:
        tape.watch([a, b])
        y = ops.sum(ops.maximum(a, b))
    np.testing.assert_array_equal(tape.gradient(y, [a, b]), [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_sign_floor_ceil_round_have_a_zero_gradient_and_keras_values():
    import keras
    x = np.array([[-1.5, -0.5, 0.0, 0.5, 1.25, 2.5]])
    for name in sorted(ZERO_GRADIENT):
        with GradientTape() as tape:
            tape.watch(x)
            y = getattr(ops, name)(x)
            loss = ops.sum(y * 3.0 + x)
        np.testing.assert_array_equal(tape.gradient(loss, x), np.ones_like(x))
        np.testing.assert_array_equal(np.asarray(y), keras.ops.convert_to_numpy(getattr(keras.ops, name)(x)))
    with GradientTape() as tape:
        tape.watch(x)
        t = ops.convert_to_tensor(x)  # a Traced view: NumPy's functions on it run as the ops
        y = ops.sum(np.floor(t) + np.round(t, 1) + np.sign(t) + np.ceil(t))
    assert tape.gradient(y, x).tolist() == [[0.0] * 6]


def test_numpy_ufuncs_run_as_the_new_element_wise_ops():
    x = np.array([0.3, 0.6])
    with GradientTape() as tape:
        tape.watch(x)
        t = ops.convert_to_tensor(x)
        y = ops.sum(np.sin(t) + np.arctan2(t, 2.0) + np.expm1(t) + np.log2(t + 1) + np.arccosh(t + 1.5))
    expected = np.cos(x) + 2 / (x * x + 4) + np.exp(x) + 1 / ((x + 1) * np.log(2)) + 1 / np.sqrt((x + 1.5) ** 2 - 1)
    np.testing.assert_allclose(tape.gradient(y, x), expected, rtol=1e-12)


def test_creation_ops_match_keras():
    import keras
    pairs = [(lambda o: o.arange(5), None), (lambda o: o.arange(1.0, 3.0, 0.5), None), (lambda o: o.zeros((2, 3)), None),
             (lambda o: o.ones((2,), dtype="int32"), None), (lambda o: o.eye(3, 4, k=1), None),
             (lambda o: o.full((2,), 1.5), None), (lambda o: o.full((2,), 3), None), (lambda o: o.linspace(0.0, 2.0, 5), None),
             (lambda o: o.zeros_like(np.ones((2,), "float64")), None), (lambda o: o.full_like(np.ones(2, "int32"), 3), None)]
    for make, _ in pairs:
        ours, theirs = make(ops), keras.ops.convert_to_numpy(make(keras.ops))
        assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for ours, theirs in zip(ops.meshgrid(np.arange(2), np.arange(3), indexing="ij"),
                            keras.ops.meshgrid(np.arange(2), np.arange(3), indexing="ij")):
        np.testing.assert_array_equal(ours, keras.ops.convert_to_numpy(theirs))


def test_cast_sends_the_gradient_back_in_the_input_dtype():
    x = np.array([1.0, 2.0], dtype="float32")
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(ops.cast(x, "float64") * 3.0)
    grad = tape.gradient(y, x)
    assert y.dtype == np.float64 and grad.dtype == np.float32
    np.testing.assert_array_equal(grad, [3.0, 3.0])


def test_outside_a_tape_ops_return_plain_arrays():
    x = np.array([[1.0, -2.0]])
    for y in (ops.relu(x), ops.matmul(x, x.T), ops.softmax(x), ops.reshape(x, (2,))):
        assert type(y) is np.ndarray


def test_not_differentiable_ops_return_plain_arrays_under_a_tape():
    x = np.array([[1.0, 3.0, 2.0]])
    with GradientTape() as tape:
        tape.watch(x)
        results = [ops.argmax(x, axis=-1), ops.argsort(x), ops.top_k(x, 2)[1], ops.greater(x, 1.0),
                   ops.stop_gradient(x), ops.convert_to_numpy(x), ops.one_hot(np.array([1]), 3),
                   ops.zeros_like(x), ops.ones_like(x), ops.full_like(x, 2.0), ops.zeros((2,)), ops.ones((2,)),
                   ops.eye(2), ops.full((2,), x[0, 0]), ops.arange(3), ops.linspace(0.0, 1.0, 3),
                   *ops.meshgrid(x[0], x[0]), ops.any(x > 2), ops.all(x, axis=0), ops.count_nonzero(x - 1.0)]
    assert all(type(r) is np.ndarray for r in results)
    assert ops.shape(x) == (1, 3)


# ---------------------------------------------------------------------- redes.random
def test_random_ops_follow_keras_seeds():
    from redes import random, set_random_seed
    assert random.normal((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(random.uniform((4,), seed=3), random.uniform((4,), seed=3))
    seeds, again = random.SeedGenerator(7), random.SeedGenerator(7)
    first = random.normal((4,), mean=2.0, stddev=0.5, dtype="float64", seed=seeds)
    assert not np.array_equal(first, random.normal((4,), mean=2.0, stddev=0.5, dtype="float64", seed=seeds))
    np.testing.assert_array_equal(first, random.normal((4,), mean=2.0, stddev=0.5, dtype="float64", seed=again))
    set_random_seed(0)
    a = random.uniform((3,), minval=-1.0, maxval=1.0)
    set_random_seed(0)
    np.testing.assert_array_equal(a, random.uniform((3,), minval=-1.0, maxval=1.0))
    with pytest.raises(TypeError, match="seed"):
        random.normal((2,), seed=1.5)


def test_dropout_is_differentiable_and_shares_draws_along_noise_shape():
    from redes import random
    x = np.random.default_rng(0).standard_normal((64, 8))
    with GradientTape() as tape:
        tape.watch(x)
        y = random.dropout(x, 0.25, noise_shape=(1, 8), seed=2)
        loss = ops.sum(y)
    kept = y != 0
    assert (kept == kept[:1]).all() and 0 < kept[0].sum() < 8
    np.testing.assert_allclose(y[kept], x[kept] / 0.75)
    np.testing.assert_allclose(tape.gradient(loss, x), kept / 0.75)
    with pytest.raises(ValueError, match="rate"):
        random.dropout(x, 1.0)
