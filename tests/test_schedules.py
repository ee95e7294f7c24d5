"""Learning-rate schedules: against their formulas and against keras.optimizers.schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_parity, import_tensorflow
from tolerances import (COSINE_DECAY_TOL, EXPONENTIAL_DECAY_RTOL, FLOAT32_ATOL, FLOAT32_RTOL,
                        OPTIMIZER_FLOAT32_RTOL, POLYNOMIAL_DECAY_ATOL, POLYNOMIAL_DECAY_RTOL)

from redes import optimizers
from redes.optimizers import SGD
from redes.optimizers.schedules import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                        LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay, deserialize,
                                        serialize)

STEPS = [0, 1, 2, 5, 9, 10, 11, 19, 20, 21, 37, 60, 99, 100, 150, 1000]

EXPONENTIAL = [
    {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True},
    {"initial_learning_rate": 2.5e-3, "decay_steps": 7, "decay_rate": 0.96, "staircase": True},
    {"initial_learning_rate": 1.0, "decay_steps": 100, "decay_rate": 1.5},
]
POLYNOMIAL = [
    {"initial_learning_rate": 0.1, "decay_steps": 20},
    {"initial_learning_rate": 0.1, "decay_steps": 20, "end_learning_rate": 0.01, "power": 2.0},
    {"initial_learning_rate": 0.1, "decay_steps": 20, "end_learning_rate": 0.0, "power": 0.5, "cycle": True},
    {"initial_learning_rate": 1e-3, "decay_steps": 7, "end_learning_rate": 1e-5, "power": 3.0, "cycle": True},
]

INVERSE_TIME = [
    {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 2.0, "staircase": True},
]
PIECEWISE = [
    {"boundaries": [10, 20], "values": [1.0, 0.5, 0.1]},
    {"boundaries": [0, 5.5, 99, 150], "values": [0.3, 0.2, 0.1, 0.01, 0.001]},
]
COSINE = [
    {"initial_learning_rate": 0.1, "decay_steps": 100},
    {"initial_learning_rate": 0.1, "decay_steps": 37, "alpha": 0.2},
    {"initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 0.1, "warmup_steps": 20},
    {"initial_learning_rate": 0.01, "decay_steps": 50, "alpha": 0.1, "warmup_target": 0.05, "warmup_steps": 9},
]
RESTARTS = [
    {"initial_learning_rate": 0.1, "first_decay_steps": 10},
    {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1},
    {"initial_learning_rate": 0.05, "first_decay_steps": 7, "t_mul": 3.0, "m_mul": 0.8, "alpha": 0.05},
    {"initial_learning_rate": 1.0, "first_decay_steps": 20, "t_mul": 1.5, "m_mul": 0.9},
]
NEW_SCHEDULES = ([(InverseTimeDecay, k) for k in INVERSE_TIME] + [(PiecewiseConstantDecay, k) for k in PIECEWISE]
                 + [(CosineDecay, k) for k in COSINE] + [(CosineDecayRestarts, k) for k in RESTARTS])
MANY_STEPS = list(range(0, 400)) + [1000, 5000]


def exponential_formula(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    exponent = step // decay_steps if staircase else step / decay_steps
    return initial_learning_rate * decay_rate ** exponent


def polynomial_formula(step, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False):
    if cycle:
        period = decay_steps * max(1, math.ceil(step / decay_steps))
    else:
        period, step = decay_steps, min(step, decay_steps)
    return (initial_learning_rate - end_learning_rate) * (1 - step / period) ** power + end_learning_rate


@pytest.mark.parametrize("kwargs", EXPONENTIAL)
def test_exponential_decay_matches_formula(kwargs):
    schedule = ExponentialDecay(**kwargs)
    for step in STEPS:
        value = schedule(step)
        assert isinstance(value, float)
        assert value == pytest.approx(exponential_formula(step, **kwargs), rel=1e-14)


@pytest.mark.parametrize("kwargs", POLYNOMIAL)
def test_polynomial_decay_matches_formula(kwargs):
    schedule = PolynomialDecay(**kwargs)
    for step in STEPS:
        assert schedule(step) == pytest.approx(polynomial_formula(step, **kwargs), rel=1e-14, abs=1e-18)


def test_known_values():
    assert ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.05)
    assert ExponentialDecay(0.1, 10, 0.5)(15) == pytest.approx(0.1 * 0.5 ** 1.5)
    linear = PolynomialDecay(0.1, 10, end_learning_rate=0.0)
    assert [linear(s) for s in (0, 5, 10, 30)] == pytest.approx([0.1, 0.05, 0.0, 0.0])
    cyclic = PolynomialDecay(0.1, 10, end_learning_rate=0.0, cycle=True)
    # step 15 lies in the second period, which is stretched to 20 steps: 0.1 · (1 − 15/20)
    assert [cyclic(s) for s in (0, 10, 15, 20, 25)] == pytest.approx([0.1, 0.0, 0.025, 0.0, 0.1 * (1 - 25 / 30)])
    assert PolynomialDecay(0.1, 10)(np.int64(5)) == pytest.approx(polynomial_formula(5, 0.1, 10))


@pytest.fixture(scope="module")
def keras_schedules():
    return import_tensorflow().keras.optimizers.schedules


@pytest.mark.parametrize("kwargs", EXPONENTIAL)
def test_exponential_decay_matches_keras(keras_schedules, kwargs):
    ours, theirs = ExponentialDecay(**kwargs), keras_schedules.ExponentialDecay(**kwargs)
    expected = np.array([float(theirs(step)) for step in STEPS])
    # Keras computes in float32 (decay_rate rounded, then raised to step / decay_steps); redes in float64.
    assert_parity("ExponentialDecay: learning rate at steps 0 to 1000", "float32", [ours(step) for step in STEPS],
                  expected, rtol=EXPONENTIAL_DECAY_RTOL, atol=0.0)


@pytest.mark.parametrize("kwargs", POLYNOMIAL)
def test_polynomial_decay_matches_keras(keras_schedules, kwargs):
    ours, theirs = PolynomialDecay(**kwargs), keras_schedules.PolynomialDecay(**kwargs)
    expected = np.array([float(theirs(step)) for step in STEPS])
    assert_parity("PolynomialDecay: learning rate at steps 0 to 1000", "float32", [ours(step) for step in STEPS],
                  expected, rtol=POLYNOMIAL_DECAY_RTOL, atol=POLYNOMIAL_DECAY_ATOL)


def cosine_formula(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decayed(s, top):
        return top * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)

    if warmup_target is None:
        return decayed(min(step, decay_steps), initial_learning_rate)
    step = min(step, decay_steps + warmup_steps)
    if step < warmup_steps:
        return initial_learning_rate + (warmup_target - initial_learning_rate) * step / warmup_steps
    return decayed(step - warmup_steps, warmup_target)


def restarts_formula(step, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """By walking the periods one by one (not the closed form the schedule uses)."""
    start, length, peak = 0.0, first_decay_steps, initial_learning_rate
    while step >= start + length:
        start, length, peak = start + length, length * t_mul, peak * m_mul
    fraction = (step - start) / length
    return initial_learning_rate * alpha + (1 - alpha) * peak * 0.5 * (1 + math.cos(math.pi * fraction))


def test_new_schedules_match_formulas():
    for kwargs in INVERSE_TIME:
        schedule, staircase = InverseTimeDecay(**kwargs), kwargs.get("staircase", False)
        for step in STEPS:
            p = step // kwargs["decay_steps"] if staircase else step / kwargs["decay_steps"]
            expected = kwargs["initial_learning_rate"] / (1 + kwargs["decay_rate"] * p)
            assert schedule(step) == pytest.approx(expected, rel=1e-14)
    for kwargs in PIECEWISE:
        schedule, bounds, values = PiecewiseConstantDecay(**kwargs), kwargs["boundaries"], kwargs["values"]
        for step in STEPS + [5.5, 5.6]:
            assert schedule(step) == values[sum(step > b for b in bounds)]
    for kwargs in COSINE:
        schedule = CosineDecay(**kwargs)
        for step in MANY_STEPS:
            assert schedule(step) == pytest.approx(cosine_formula(step, **kwargs), rel=1e-12, abs=1e-15)
    for kwargs in RESTARTS:
        schedule = CosineDecayRestarts(**kwargs)
        for step in MANY_STEPS:
            assert schedule(step) == pytest.approx(restarts_formula(step, **kwargs), rel=1e-9, abs=1e-12)


def test_new_schedules_known_values():
    warm = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [warm(s) for s in (0, 2, 4, 9, 14, 20)] == pytest.approx([0.0, 0.5, 1.0, 0.5, 0.0, 0.0], abs=1e-15)
    sgdr = CosineDecayRestarts(1.0, first_decay_steps=10)  # periods of 10, 20, 40 steps
    assert [sgdr(s) for s in (0, 5, 10, 20, 30, 70)] == pytest.approx([1.0, 0.5, 1.0, 0.5, 1.0, 1.0])
    assert PiecewiseConstantDecay([10], [0.1, 0.01])(np.int64(11)) == 0.01


@pytest.mark.parametrize("cls, kwargs", NEW_SCHEDULES)
def test_new_schedules_match_keras(keras_schedules, cls, kwargs):
    ours, theirs = cls(**kwargs), getattr(keras_schedules, cls.__name__)(**kwargs)
    expected = np.array([float(theirs(step)) for step in MANY_STEPS])
    got = [ours(step) for step in MANY_STEPS]
    what = f"{cls.__name__}: learning rate at steps 0 to 399, 1000, 5000"
    if cls in (CosineDecay, CosineDecayRestarts):
        assert_parity(what, "float32", got, expected, COSINE_DECAY_TOL)
    else:
        assert_parity(what, "float32", got, expected, rtol=FLOAT32_RTOL, atol=0.0)


@pytest.mark.parametrize("cls, kwargs", [NEW_SCHEDULES[i] for i in (0, 3, 7, 10)])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_new_schedules_inside_an_optimizer_match_keras(keras_schedules, cls, kwargs, optimizer):
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    initial = rng.standard_normal((4, 3)).astype("float32")
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}
    ours = getattr(optimizers, optimizer)(learning_rate=cls(**kwargs), **extra)
    theirs = getattr(tf.keras.optimizers, optimizer)(learning_rate=getattr(keras_schedules, cls.__name__)(**kwargs),
                                                     **extra)
    w, v = initial.copy(), tf.Variable(initial)
    step = tf.function(lambda g: theirs.apply_gradients([(g, v)]))
    for _ in range(40):
        g = rng.standard_normal((4, 3)).astype("float32")
        ours.apply_gradients([(g, w)])
        step(tf.constant(g))
    assert_parity(f"{optimizer} with {cls.__name__}: weights after 40 steps", "float32", w, v.numpy(),
                  OPTIMIZER_FLOAT32_RTOL, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


@pytest.mark.parametrize("cls, kwargs", [(ExponentialDecay, k) for k in EXPONENTIAL]
                         + [(PolynomialDecay, k) for k in POLYNOMIAL] + NEW_SCHEDULES)
def test_config_round_trip(cls, kwargs):
    schedule = cls(**kwargs, name="mine")
    config = schedule.get_config()
    assert cls.from_config(config).get_config() == config
    assert config["name"] == "mine" and all(config[key] == value for key, value in kwargs.items())
    rebuilt = deserialize(serialize(schedule))
    assert type(rebuilt) is cls and rebuilt.get_config() == config
    assert repr(schedule).startswith(f"{cls.__name__}(")


@pytest.mark.parametrize("cls, kwargs, error, name", [
    (ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}, ValueError, "decay_steps"),
    (ExponentialDecay, {"initial_learning_rate": -0.1, "decay_steps": 5, "decay_rate": 0.5}, ValueError,
     "initial_learning_rate"),
    (ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.0}, ValueError,
     "decay_rate"),
    (ExponentialDecay, {"initial_learning_rate": "0.1", "decay_steps": 5, "decay_rate": 0.5}, TypeError,
     "initial_learning_rate"),
    (ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": 1},
     TypeError, "staircase"),
    (PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": -3}, ValueError, "decay_steps"),
    (PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 3, "end_learning_rate": -1.0}, ValueError,
     "end_learning_rate"),
    (PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 3, "power": -1.0}, ValueError, "power"),
    (PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 3, "cycle": "yes"}, TypeError, "cycle"),
    (InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}, ValueError,
     "decay_steps=0"),
    (InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": -1.0}, ValueError,
     "decay_rate=-1.0"),
    (InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": "no"},
     TypeError, "staircase"),
    (PiecewiseConstantDecay, {"boundaries": [10, 20], "values": [1.0, 0.5]}, ValueError, "length of `boundaries`"),
    (PiecewiseConstantDecay, {"boundaries": 10, "values": [1.0, 0.5]}, TypeError, "boundaries=10"),
    (PiecewiseConstantDecay, {"boundaries": [10], "values": [1.0, "x"]}, TypeError, r"values\[1\]='x'"),
    (PiecewiseConstantDecay, {"boundaries": [10], "values": [1.0, -0.5]}, ValueError, r"values\[1\]=-0.5"),
    (PiecewiseConstantDecay, {"boundaries": [20, 10], "values": [1.0, 0.5, 0.1]}, ValueError, "increasing"),
    (CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 0}, ValueError, "decay_steps=0"),
    (CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 1.5}, ValueError, "alpha=1.5"),
    (CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_target": "1"}, TypeError,
     "warmup_target"),
    (CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": -1}, ValueError,
     "warmup_steps=-1"),
    (CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": -5}, ValueError,
     "first_decay_steps=-5"),
    (CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 0.5}, ValueError,
     "t_mul=0.5"),
    (CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": 5, "m_mul": -1.0}, ValueError,
     "m_mul"),
    (CosineDecayRestarts, {"initial_learning_rate": None, "first_decay_steps": 5}, TypeError,
     "initial_learning_rate"),
])
def test_bad_arguments(cls, kwargs, error, name):
    with pytest.raises(error, match=name):
        cls(**kwargs)


def test_bad_step():
    with pytest.raises(ValueError, match="step"):
        ExponentialDecay(0.1, 10, 0.5)(-1)


def test_base_class_and_custom_schedule():
    with pytest.raises(NotImplementedError, match="__call__"):
        LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        LearningRateSchedule().get_config()

    class InverseStep(LearningRateSchedule):
        def __init__(self, scale):
            self.scale = scale

        def __call__(self, step):
            return self.scale / (step + 1)

        def get_config(self):
            return {"scale": self.scale}

    optimizer = SGD(InverseStep(1.0))
    w = np.zeros(1)
    for _ in range(3):
        optimizer.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w, [-(1 + 1 / 2 + 1 / 3)])
    rebuilt = SGD.from_config(optimizer.get_config())
    assert isinstance(rebuilt._learning_rate, InverseStep) and rebuilt.learning_rate == 1.0
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        deserialize({"class_name": "Nope", "config": {}})


def test_keras_path():
    assert optimizers.schedules.ExponentialDecay is ExponentialDecay
    assert optimizers.schedules.PolynomialDecay is PolynomialDecay
    assert optimizers.schedules.LearningRateSchedule is LearningRateSchedule
    for cls in (CosineDecay, CosineDecayRestarts, InverseTimeDecay, PiecewiseConstantDecay):
        assert getattr(optimizers.schedules, cls.__name__) is cls
