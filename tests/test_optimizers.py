"""Optimizers: update rules against the written formulas (float64) and against Keras 3 (float32)."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from helpers import assert_parity, import_tensorflow
from tolerances import FLOAT32_ATOL, FLOAT32_RTOL, OPTIMIZER_FLOAT32_RTOL

from redes import optimizers
from redes.optimizers import SGD, Adagrad, Adam, Nadam, Optimizer, RMSprop, schedules

CHECK_STEPS = (1, 2, 10, 100)
SHAPES = [(4, 3), (3,)]


def gradient_sequence(steps: int = 100, seed: int = 0) -> list[list[np.ndarray]]:
    """Fixed gradients for each step: varied magnitudes, one coordinate always zero (the ε path)."""
    rng = np.random.default_rng(seed)
    sequence = []
    for _ in range(steps):
        grads = [rng.standard_normal(shape) * 10 ** rng.uniform(-2, 1) for shape in SHAPES]
        grads[0][0, 0] = 0.0
        sequence.append(grads)
    return sequence


GRADIENTS = gradient_sequence()
INITIAL = [np.random.default_rng(1).standard_normal(shape) for shape in SHAPES]


# ----------------------------------------------------------------- references
# Each reference updates one variable in float64 from the docstring's equations;
# ``state`` holds that variable's slots, ``shared`` holds per-optimizer values.

def ref_sgd(w, g, state, shared, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    state["m"] = momentum * state.get("m", 0.0) - lr * g
    return w + momentum * state["m"] - lr * g if nesterov else w + state["m"]


def ref_adam(w, g, state, shared, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g * g
    v = state["v"]
    if amsgrad:
        state["v_hat"] = v = np.maximum(state.get("v_hat", 0.0), v)
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * state["m"] / (np.sqrt(v) + epsilon)


def ref_nadam(w, g, state, shared, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def u(i):
        return beta_1 * (1 - 0.5 * 0.96 ** i)

    product = math.prod(u(i) for i in range(1, t + 1))
    state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g * g
    m_hat = u(t + 1) * state["m"] / (1 - product * u(t + 1)) + (1 - u(t)) * g / (1 - product)
    v_hat = state["v"] / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def ref_rmsprop(w, g, state, shared, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    state["v"] = rho * state.get("v", 0.0) + (1 - rho) * g * g
    denominator = state["v"] + epsilon
    if centered:
        state["mg"] = rho * state.get("mg", 0.0) + (1 - rho) * g
        denominator = state["v"] - state["mg"] ** 2 + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        state["mom"] = momentum * state.get("mom", 0.0) + increment
        return w - state["mom"]
    return w - increment


def ref_adagrad(w, g, state, shared, lr, t, initial_accumulator_value=0.1, epsilon=1e-7):
    state["a"] = state.get("a", initial_accumulator_value) + g * g
    return w - lr * g / np.sqrt(state["a"] + epsilon)


# name: (class, keyword arguments, base learning rate, reference, learning-rate modes checked against Keras)
ALL_MODES = ("constant", "exponential", "polynomial")
CONFIGS = {
    "sgd": (SGD, {}, 0.05, ref_sgd, ALL_MODES),
    "sgd_momentum": (SGD, {"momentum": 0.9}, 0.05, ref_sgd, ALL_MODES),
    "sgd_nesterov": (SGD, {"momentum": 0.9, "nesterov": True}, 0.05, ref_sgd, ALL_MODES),
    "adam": (Adam, {}, 0.01, ref_adam, ALL_MODES),
    "adam_custom": (Adam, {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}, 0.01, ref_adam, ("constant",)),
    "adam_amsgrad": (Adam, {"amsgrad": True}, 0.01, ref_adam, ALL_MODES),
    "nadam": (Nadam, {}, 0.01, ref_nadam, ALL_MODES),
    "nadam_custom": (Nadam, {"beta_1": 0.95, "beta_2": 0.99, "epsilon": 1e-4}, 0.01, ref_nadam, ("constant",)),
    "rmsprop": (RMSprop, {}, 0.01, ref_rmsprop, ALL_MODES),
    "rmsprop_momentum": (RMSprop, {"rho": 0.8, "momentum": 0.5}, 0.01, ref_rmsprop, ("constant",)),
    "rmsprop_centered": (RMSprop, {"centered": True}, 0.01, ref_rmsprop, ("constant",)),
    "rmsprop_centered_momentum": (RMSprop, {"centered": True, "momentum": 0.9}, 0.01, ref_rmsprop, ALL_MODES),
    "adagrad": (Adagrad, {}, 0.1, ref_adagrad, ALL_MODES),
    "adagrad_custom": (Adagrad, {"initial_accumulator_value": 0.5, "epsilon": 1e-4}, 0.1, ref_adagrad,
                       ("constant",)),
}
TF_CASES = [(name, mode) for name, config in CONFIGS.items() for mode in config[4]]


def learning_rate(mode: str, base: float, module=schedules):
    """The learning rate (a float or a schedule from ``module``: redes' or Keras')."""
    if mode == "exponential":
        return module.ExponentialDecay(base, decay_steps=20, decay_rate=0.5)
    if mode == "polynomial":
        return module.PolynomialDecay(base, decay_steps=60, end_learning_rate=base / 10, power=2.0)
    return base


def reference_learning_rate(mode: str, base: float, step: int) -> float:
    if mode == "exponential":
        return base * 0.5 ** (step / 20)
    if mode == "polynomial":
        return (base - base / 10) * (1 - min(step, 60) / 60) ** 2 + base / 10
    return base


def reference_trajectory(name: str, mode: str) -> dict[int, list[np.ndarray]]:
    _, kwargs, base, reference, _ = CONFIGS[name]
    weights = [w.copy() for w in INITIAL]
    states, shared, trajectory = [{} for _ in weights], {}, {}
    for t, grads in enumerate(GRADIENTS, start=1):
        lr = reference_learning_rate(mode, base, t - 1)
        weights = [reference(w, g, s, shared, lr, t, **kwargs) for w, g, s in zip(weights, grads, states)]
        if t in CHECK_STEPS:
            trajectory[t] = weights
    return trajectory


def redes_trajectory(name: str, mode: str, dtype: str) -> dict[int, list[np.ndarray]]:
    cls, kwargs, base, _, _ = CONFIGS[name]
    optimizer = cls(learning_rate=learning_rate(mode, base), **kwargs)
    weights = [w.astype(dtype) for w in INITIAL]
    trajectory = {}
    for t, grads in enumerate(GRADIENTS, start=1):
        optimizer.apply_gradients(zip([g.astype(dtype) for g in grads], weights))
        assert optimizer.iterations == t
        if t in CHECK_STEPS:
            trajectory[t] = [w.copy() for w in weights]
    return trajectory


@functools.lru_cache(maxsize=None)
def keras_trajectory(name: str, mode: str) -> dict[int, list[np.ndarray]]:
    """The same run with keras.optimizers in float32 (one optimizer per case, built once)."""
    tf = import_tensorflow()
    cls, kwargs, base, _, _ = CONFIGS[name]
    optimizer = getattr(tf.keras.optimizers, cls.__name__)(
        learning_rate=learning_rate(mode, base, tf.keras.optimizers.schedules), **kwargs)
    variables = [tf.Variable(w.astype(np.float32)) for w in INITIAL]
    step = tf.function(lambda grads: optimizer.apply_gradients(zip(grads, variables)))  # traced once: fast
    trajectory = {}
    for t, grads in enumerate(GRADIENTS, start=1):
        step([tf.constant(g.astype(np.float32)) for g in grads])
        if t in CHECK_STEPS:
            trajectory[t] = [v.numpy() for v in variables]
    return trajectory


def describe(name: str, mode: str) -> str:
    """'SGD(momentum=0.9, nesterov=True), ExponentialDecay': a configuration as the parity report names it."""
    cls, kwargs, _, _, _ = CONFIGS[name]
    schedule = {"constant": "constant learning rate", "exponential": "ExponentialDecay",
                "polynomial": "PolynomialDecay"}[mode]
    return f"{cls.__name__}({', '.join(f'{key}={value}' for key, value in kwargs.items())}), {schedule}"


# --------------------------------------------------------- trajectories
@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name", list(CONFIGS))
def test_float64_matches_formulas(name, mode):
    ours, expected = redes_trajectory(name, mode, "float64"), reference_trajectory(name, mode)
    for step in CHECK_STEPS:
        for a, b in zip(ours[step], expected[step]):
            assert a.dtype == np.float64
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13, err_msg=f"{name} {mode} step {step}")


@pytest.mark.parametrize("name, mode", TF_CASES)
def test_float32_matches_keras(name, mode):
    ours, theirs = redes_trajectory(name, mode, "float32"), keras_trajectory(name, mode)
    what = f"{describe(name, mode)}: weights after 1, 2, 10, 100 steps"
    for step in CHECK_STEPS:
        for a, b in zip(ours[step], theirs[step]):
            assert a.dtype == np.float32
            assert_parity(what, "float32", a, b, OPTIMIZER_FLOAT32_RTOL, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


# ---------------------------------------------------------------- clipping
CLIP_CASES = [
    (SGD, {"clipnorm": 1.0}), (SGD, {"clipvalue": 0.5}), (SGD, {"global_clipnorm": 2.0}),
    (Adam, {"clipnorm": 0.5}), (Adam, {"clipvalue": 0.1}), (Adam, {"global_clipnorm": 1.5}),
    (RMSprop, {"momentum": 0.5, "global_clipnorm": 3.0}),
]


@pytest.mark.parametrize("cls, kwargs", CLIP_CASES)
def test_clipping_matches_keras(cls, kwargs):
    tf = import_tensorflow()
    ours = cls(learning_rate=0.1, **kwargs)
    theirs = getattr(tf.keras.optimizers, cls.__name__)(learning_rate=0.1, **kwargs)
    weights = [w.astype(np.float32) for w in INITIAL]
    variables = [tf.Variable(w) for w in weights]
    for grads in GRADIENTS[:10]:  # norms from ~0.03 to ~30: some steps clip, some do not
        grads = [g.astype(np.float32) for g in grads]
        ours.apply_gradients(zip(grads, weights))
        theirs.apply_gradients([(tf.constant(g), v) for g, v in zip(grads, variables)])
    what = f"{cls.__name__} with gradient clipping ({', '.join(sorted(kwargs))}): weights after 10 steps"
    for a, v in zip(weights, variables):
        assert_parity(what, "float32", a, v.numpy(), rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


def test_clipping_rules():
    g = np.array([3.0, 4.0])
    w = np.zeros(2)
    SGD(1.0, clipnorm=1.0).apply_gradients([(g, w)])
    np.testing.assert_allclose(w, [-0.6, -0.8])
    w = np.zeros(2)
    SGD(1.0, clipnorm=10.0).apply_gradients([(g, w)])
    np.testing.assert_allclose(w, [-3.0, -4.0])
    w = np.zeros(2)
    SGD(1.0, clipvalue=3.5).apply_gradients([(g, w)])
    np.testing.assert_allclose(w, [-3.0, -3.5])
    w1, w2 = np.zeros(2), np.zeros(1)
    SGD(1.0, global_clipnorm=6.5).apply_gradients([(g, w1), (np.array([12.0]), w2)])  # global norm 13
    np.testing.assert_allclose(np.concatenate([w1, w2]), [-1.5, -2.0, -6.0])
    w = np.zeros(2)
    SGD(1.0, global_clipnorm=1.0).apply_gradients([(np.array([np.inf, 1.0]), w)])
    assert np.isnan(w).all()  # as Keras: a non-finite global norm makes every gradient NaN


def test_clipping_does_not_modify_the_gradient():
    g, w = np.array([3.0, 4.0]), np.zeros(2)
    SGD(1.0, clipnorm=1.0).apply_gradients([(g, w)])
    np.testing.assert_array_equal(g, [3.0, 4.0])


# ------------------------------------------------------- in place and dtypes
@pytest.mark.parametrize("name", list(CONFIGS))
def test_updates_in_place_and_keeps_float32(name):
    cls, kwargs, base, _, _ = CONFIGS[name]
    optimizer = cls(learning_rate=base, **kwargs)
    weights = [w.astype(np.float32) for w in INITIAL]
    same_objects, before = list(weights), [w.copy() for w in weights]
    for grads in GRADIENTS[:3]:
        optimizer.apply_gradients(zip([g.astype(np.float64) for g in grads], weights))  # float64 grads are cast
    for w, original, old in zip(weights, same_objects, before):
        assert w is original and w.dtype == np.float32
        assert not np.array_equal(w, old)
    assert all(slot.dtype == np.float32 and slot.shape == w.shape
               for w, slots in zip(weights, optimizer._slots) for slot in slots)


def test_slots_created_in_variable_order_and_only_when_needed():
    a, b = np.zeros((2, 3)), np.zeros(3)
    assert SGD(0.1)._slots == [] and SGD(0.1).slot_names == ()
    adam = Adam()
    adam.apply_gradients([(np.ones(3), b), (np.ones((2, 3)), a)])
    assert [s[0].shape for s in adam._slots] == [(3,), (2, 3)] and len(adam._slots[0]) == 2
    assert len(Adam(amsgrad=True).slot_names) == 3
    assert RMSprop(momentum=0.5, centered=True).slot_names == ("velocity", "momentum", "average_gradient")
    adagrad = Adagrad(initial_accumulator_value=0.3)
    adagrad.build([a])
    np.testing.assert_array_equal(adagrad._slots[0][0], np.full((2, 3), 0.3))


def test_none_gradients_are_skipped_with_a_warning():
    a, b = np.ones(2), np.ones(3)
    optimizer = SGD(0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply_gradients([(None, a), (np.ones(3), b)])
    np.testing.assert_array_equal(a, np.ones(2))
    np.testing.assert_array_equal(b, np.full(3, 0.5))
    assert optimizer.iterations == 1
    with pytest.raises(ValueError, match="No gradients"):
        optimizer.apply_gradients([(None, a)])
    optimizer.apply_gradients([])
    assert optimizer.iterations == 1


def test_learning_rate_schedule_is_evaluated_before_the_increment():
    schedule = schedules.PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
    optimizer = SGD(schedule)
    w, seen = np.zeros(1), []
    for _ in range(5):
        seen.append(optimizer.learning_rate)
        before = w.copy()
        optimizer.apply_gradients([(np.ones(1), w)])
        assert before - w == pytest.approx(seen[-1])
    assert seen == [1.0, 0.75, 0.5, 0.25, 0.0]
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        optimizer.learning_rate = 0.1


def test_learning_rate_is_settable():
    optimizer = Adam(0.01)
    optimizer.learning_rate = 0.5
    assert optimizer.learning_rate == 0.5 and isinstance(optimizer.learning_rate, float)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0


def test_state_saves_and_loads_by_position():
    def run(optimizer, weights, grads_list):
        for grads in grads_list:
            optimizer.apply_gradients(zip(grads, weights))

    for cls, kwargs in [(Nadam, {}), (RMSprop, {"momentum": 0.5, "centered": True}), (SGD, {"momentum": 0.9})]:
        first, weights = cls(0.01, **kwargs), [w.copy() for w in INITIAL]
        run(first, weights, GRADIENTS[:3])
        saved, saved_weights = [np.array(v) for v in first.variables], [w.copy() for w in weights]
        assert int(saved[0]) == 3
        run(first, weights, GRADIENTS[3:6])
        second, copies = cls(0.01, **kwargs), saved_weights
        second.build(copies)
        second.set_weights(saved)
        run(second, copies, GRADIENTS[3:6])
        assert second.iterations == 6
        for a, b in zip(weights, copies):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="build"):
        Adam().set_weights(saved)


# --------------------------------------------------------------- arguments
@pytest.mark.parametrize("factory, kwargs, error, name", [
    (SGD, {"learning_rate": -0.1}, ValueError, "learning_rate"),
    (SGD, {"learning_rate": "fast"}, TypeError, "learning_rate"),
    (SGD, {"learning_rate": float("nan")}, ValueError, "learning_rate"),
    (SGD, {"momentum": 1.5}, ValueError, "momentum"),
    (SGD, {"momentum": -0.1}, ValueError, "momentum"),
    (SGD, {"nesterov": 1}, TypeError, "nesterov"),
    (Adam, {"beta_1": 1.0}, ValueError, "beta_1"),
    (Adam, {"beta_2": -0.5}, ValueError, "beta_2"),
    (Adam, {"epsilon": -1e-7}, ValueError, "epsilon"),
    (Adam, {"amsgrad": "yes"}, TypeError, "amsgrad"),
    (Nadam, {"beta_1": 1.2}, ValueError, "beta_1"),
    (Nadam, {"epsilon": None}, TypeError, "epsilon"),
    (RMSprop, {"rho": 1.0}, ValueError, "rho"),
    (RMSprop, {"momentum": 2.0}, ValueError, "momentum"),
    (RMSprop, {"centered": None}, TypeError, "centered"),
    (Adagrad, {"initial_accumulator_value": -0.1}, ValueError, "initial_accumulator_value"),
    (Adagrad, {"epsilon": -1.0}, ValueError, "epsilon"),
    (Adam, {"clipnorm": 0.0}, ValueError, "clipnorm"),
    (Adam, {"clipvalue": -1.0}, ValueError, "clipvalue"),
    (Adam, {"clipnorm": 1.0, "global_clipnorm": 1.0}, ValueError, "Only one of"),
    (Adam, {"name": ""}, ValueError, "name"),
])
def test_bad_arguments(factory, kwargs, error, name):
    with pytest.raises(error, match=name):
        factory(**kwargs)


def test_bad_gradients_and_variables():
    optimizer = Adam()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        optimizer.apply_gradients([(np.ones(3), np.ones((2, 2)))])
    with pytest.raises(TypeError, match="in place"):
        optimizer.apply_gradients([(np.ones(3), [1.0, 2.0, 3.0])])
    with pytest.raises(TypeError, match="float dtype"):
        optimizer.apply_gradients([(np.ones(3), np.ones(3, dtype=int))])
    assert optimizer.iterations == 0


def test_base_class_requires_update():
    with pytest.raises(NotImplementedError, match="_update"):
        Optimizer(0.1).apply_gradients([(np.ones(1), np.ones(1))])


# -------------------------------------------------------------- get, config
@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("Adam", Adam), ("NADAM", Nadam), ("rmsprop", RMSprop),
                                       ("adagrad", Adagrad)])
def test_get_by_name(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls and optimizer.name == cls.__name__.lower()
    assert optimizer.learning_rate == (0.01 if cls is SGD else 0.001)


def test_get_passes_instances_and_rejects_others():
    optimizer = Adam(0.1)
    assert optimizers.get(optimizer) is optimizer
    with pytest.raises(ValueError, match="adamm.*adagrad, adam, adamax, adamw, gd, lion, nadam, rmsprop, sgd"):
        optimizers.get("adamm")
    with pytest.raises(TypeError, match="optimizer"):
        optimizers.get(3)


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("mode", ["constant", "exponential"])
def test_get_config_round_trip(name, mode):
    cls, kwargs, base, _, _ = CONFIGS[name]
    optimizer = cls(learning_rate=learning_rate(mode, base), clipnorm=2.0, name="mine", **kwargs)
    config = optimizer.get_config()
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config and config["name"] == "mine" and config["clipnorm"] == 2.0
    assert rebuilt.learning_rate == optimizer.learning_rate
    for key, value in kwargs.items():
        assert config[key] == value
    assert repr(optimizer).startswith(f"{cls.__name__}(name='mine'")


def test_no_warning_when_all_gradients_exist():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Nadam().apply_gradients([(np.ones(2), np.ones(2))])


ELEMENTWISE = [(SGD, {"momentum": 0.9, "nesterov": True}), (Adam, {"amsgrad": True}), (Nadam, {}),
               (RMSprop, {"momentum": 0.5, "centered": True}), (Adagrad, {}), (optimizers.Adamax, {}),
               (optimizers.Adadelta, {}), (optimizers.Lion, {}), (optimizers.AdamW, {})]


@pytest.mark.parametrize("cls, kwargs", ELEMENTWISE, ids=lambda value: getattr(value, "__name__", ""))
def test_a_large_variable_updated_in_pieces_equals_the_whole_update(cls, kwargs, monkeypatch):
    """Every built-in update treats entries on their own, so pieces of UPDATE_PIECE entries change nothing."""
    assert cls.elementwise_update
    rng = np.random.default_rng(0)
    variable = rng.normal(size=(300, 250)).astype(np.float32)  # 75,000 entries: 2 full pieces and a partial one
    grads = [rng.normal(size=variable.shape).astype(np.float32) for _ in range(3)]
    results = []
    for elementwise in (True, False):
        monkeypatch.setattr(cls, "elementwise_update", elementwise)
        optimizer, w = cls(learning_rate=0.01, **kwargs), variable.copy()
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        results.append((w, [slot.copy() for slot in optimizer._slots[0]]))
    (pieces, slots_pieces), (whole, slots_whole) = results
    np.testing.assert_array_equal(pieces, whole)
    for a, b in zip(slots_pieces, slots_whole):
        np.testing.assert_array_equal(a, b)


def test_a_custom_update_is_given_the_whole_variable():
    """``elementwise_update`` is False on the base class: a subclass's update may use the variable's norm."""
    shapes = []

    class Normalized(Optimizer):
        def _update(self, variable, gradient, slots, lr, step):
            shapes.append(variable.shape)
            variable -= lr * gradient / np.linalg.norm(gradient)

    Normalized(0.1).apply_gradients([(np.ones((400, 400)), np.zeros((400, 400)))])
    assert shapes == [(400, 400)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_momenta_that_decay_to_zero_are_flushed_before_they_turn_subnormal(dtype):
    """A momentum whose gradient stays 0 decays as β^t; subnormal floats make x86 arithmetic many times slower,
    so every FLUSH_EVERY steps the entries that could turn subnormal before the next flush become 0."""
    optimizer, w = SGD(0.1, momentum=0.5), np.zeros(4, dtype)
    optimizer.apply_gradients([(np.array([1.0, 0.0, 1e-30, 0.0], dtype), w)])
    tiny, seen = np.finfo(dtype).tiny, []
    for _ in range(1200):
        optimizer.apply_gradients([(np.array([0.0, 0.0, 0.0, 1.0], dtype), w)])
        velocity = optimizer._slots[0][0]
        seen.append((velocity != 0) & (np.abs(velocity) < tiny))
    seen = np.array(seen)
    assert seen[:, 0].sum() == 0  # decaying from 1: flushed before it is subnormal
    assert 0 < seen[:, 2].sum() < optimizer.FLUSH_EVERY or dtype == "float64"  # from 1e-31: subnormal until a flush
    assert not seen[optimizer.FLUSH_EVERY:].any()
    assert velocity[0] == 0 and velocity[2] == 0 and velocity[3] != 0  # a live momentum is kept
