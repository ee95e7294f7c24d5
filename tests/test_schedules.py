"""Learning-rate schedules: against their formulas and against keras.optimizers.schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_parity, import_tensorflow
from tolerances import EXPONENTIAL_DECAY_RTOL, POLYNOMIAL_DECAY_ATOL, POLYNOMIAL_DECAY_RTOL

from redes import optimizers
from redes.optimizers import SGD
from redes.optimizers.schedules import (ExponentialDecay, LearningRateSchedule, PolynomialDecay, deserialize,
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


@pytest.mark.parametrize("cls, kwargs", [(ExponentialDecay, k) for k in EXPONENTIAL]
                         + [(PolynomialDecay, k) for k in POLYNOMIAL])
def test_config_round_trip(cls, kwargs):
    schedule = cls(**kwargs, name="mine")
    config = schedule.get_config()
    assert cls.from_config(config).get_config() == config
    assert config["name"] == "mine" and all(config[key] == value for key, value in kwargs.items())
    rebuilt = deserialize(serialize(schedule))
    assert type(rebuilt) is cls and rebuilt.get_config() == config
    assert repr(schedule).startswith(f"{cls.__name__}(initial_learning_rate=")


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
