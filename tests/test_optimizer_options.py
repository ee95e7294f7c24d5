"""Keras 3's base optimizer options (weight_decay, EMA, gradient accumulation, loss_scale_factor) and AdamW,
step by step against keras.optimizers, in float32 and float64."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from helpers import assert_parity, import_tensorflow
from tolerances import FLOAT32_ATOL, FLOAT32_RTOL, OPTIMIZER_FLOAT32_RTOL, OPTIMIZER_FLOAT64_RTOL

from redes import Sequential, layers, load_model, optimizers
from redes.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, RMSprop, schedules

SHAPES = [(4, 3), (3,)]
CALLS = 24
CHECK_CALLS = (1, 2, 3, 7, 12, 24)


def gradient_sequence(steps: int = CALLS, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) * 10 ** rng.uniform(-2, 1) for shape in SHAPES] for _ in range(steps)]


GRADIENTS = gradient_sequence()
INITIAL = [np.random.default_rng(1).standard_normal(shape) for shape in SHAPES]


def cosine(module):
    return module.CosineDecay(0.01, decay_steps=15, alpha=0.1, warmup_target=0.05, warmup_steps=4)


def exponential(module):
    return module.ExponentialDecay(0.05, decay_steps=5, decay_rate=0.5)


def constant(module):
    return None


# name: (class, keyword arguments, learning rate as a float or a schedule made from a schedules module)
CASES = {
    "sgd_weight_decay": (SGD, {"weight_decay": 0.05}, 0.05),
    "sgd_momentum_weight_decay": (SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, 0.05),
    "adam_weight_decay": (Adam, {"weight_decay": 0.02}, 0.01),
    "adamw": (AdamW, {}, 0.01),
    "adamw_amsgrad_cosine": (AdamW, {"weight_decay": 0.1, "amsgrad": True}, cosine),
    "rmsprop_weight_decay": (RMSprop, {"momentum": 0.5, "weight_decay": 0.05}, 0.01),
    "nadam_weight_decay": (Nadam, {"weight_decay": 0.05}, 0.01),
    "adagrad_weight_decay": (Adagrad, {"weight_decay": 0.05}, 0.1),
    "adadelta_weight_decay": (Adadelta, {"weight_decay": 0.05}, 1.0),
    "adamax_weight_decay": (Adamax, {"weight_decay": 0.05}, 0.01),
    "lion_weight_decay": (Lion, {"weight_decay": 0.5}, 0.001),
    "adam_ema": (Adam, {"use_ema": True, "ema_momentum": 0.9}, 0.01),
    "sgd_ema_overwrite": (SGD, {"momentum": 0.9, "use_ema": True, "ema_overwrite_frequency": 3}, 0.05),
    "adam_accumulation_schedule": (Adam, {"gradient_accumulation_steps": 3}, exponential),
    "sgd_accumulation_clip_decay": (SGD, {"momentum": 0.9, "gradient_accumulation_steps": 2, "clipnorm": 1.0,
                                          "weight_decay": 0.1}, 0.05),
    "nadam_accumulation_ema": (Nadam, {"gradient_accumulation_steps": 4, "use_ema": True}, 0.01),
    "adam_loss_scale": (Adam, {"loss_scale_factor": 8.0, "weight_decay": 0.01}, 0.01),
}


def make(name: str, module, cls_of=lambda cls: cls):
    cls, kwargs, rate = CASES[name]
    return cls_of(cls)(learning_rate=rate(module) if callable(rate) else rate, **kwargs)


def redes_run(name: str, dtype: str, exclude: bool = False) -> dict:
    optimizer = make(name, schedules)
    weights = [w.astype(dtype) for w in INITIAL]
    if exclude:
        optimizer.exclude_from_weight_decay(var_list=[weights[1]])
    trajectory = {}
    for call, grads in enumerate(GRADIENTS, start=1):
        optimizer.apply_gradients(zip([g.astype(dtype) for g in grads], weights))
        if call in CHECK_CALLS:
            trajectory[call] = ([w.copy() for w in weights], optimizer.iterations)
    optimizer.finalize_variable_values(weights)
    trajectory["final"] = (weights, optimizer.iterations)
    return trajectory


@functools.lru_cache(maxsize=None)
def keras_run(name: str, dtype: str, exclude: bool = False) -> dict:
    tf = import_tensorflow()
    optimizer = make(name, tf.keras.optimizers.schedules, lambda cls: getattr(tf.keras.optimizers, cls.__name__))
    variables = [tf.Variable(w.astype(dtype)) for w in INITIAL]
    if exclude:
        optimizer.exclude_from_weight_decay(var_list=[variables[1]])
    step = tf.function(lambda grads: optimizer.apply_gradients(zip(grads, variables)))
    trajectory = {}
    for call, grads in enumerate(GRADIENTS, start=1):
        step([tf.constant(g.astype(dtype)) for g in grads])
        if call in CHECK_CALLS:
            trajectory[call] = ([v.numpy() for v in variables], int(optimizer.iterations))
    optimizer.finalize_variable_values(variables)
    trajectory["final"] = ([v.numpy() for v in variables], int(optimizer.iterations))
    return trajectory


def compare(name: str, dtype: str, ours: dict, theirs: dict, what: str) -> None:
    tol = OPTIMIZER_FLOAT32_RTOL if dtype == "float32" else OPTIMIZER_FLOAT64_RTOL
    for key in theirs:
        (our_weights, our_iterations), (their_weights, their_iterations) = ours[key], theirs[key]
        assert our_iterations == their_iterations, f"{name} after {key} calls"
        for a, b in zip(our_weights, their_weights):
            assert a.dtype == np.dtype(dtype)
            assert_parity(what, dtype, a, b, tol, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


# In float64, Keras still rounds the learning rate, β1, β2 and ρ to float32 (KERAS_PARITY.md): both dtypes
# are held to the float32 element-wise bounds, float64 to OPTIMIZER_FLOAT64_RTOL relative to the max.
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_keras_step_by_step(name, dtype):
    cls, kwargs, rate = CASES[name]
    what = f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())})" \
           f"{', ' + rate.__name__ if callable(rate) else ''}: weights and iterations after 1 to 24 calls, finalized"
    compare(name, dtype, redes_run(name, dtype), keras_run(name, dtype), what)


@pytest.mark.parametrize("name", ["sgd_momentum_weight_decay", "adamw", "sgd_accumulation_clip_decay"])
def test_exclude_from_weight_decay_matches_keras(name):
    what = f"{name}, exclude_from_weight_decay(var_list=[bias]): weights after 1 to 24 calls"
    ours, theirs = redes_run(name, "float32", exclude=True), keras_run(name, "float32", exclude=True)
    compare(name, "float32", ours, theirs, what)
    assert not np.array_equal(ours["final"][0][1], redes_run(name, "float32")["final"][0][1])


# ------------------------------------------------------------------ the rules, on small numbers
def test_weight_decay_is_decoupled_and_uses_the_learning_rate():
    w = np.array([1.0, -2.0])
    SGD(0.1, weight_decay=0.5).apply_gradients([(np.array([1.0, 1.0]), w)])
    np.testing.assert_allclose(w, [1.0 - 0.05 - 0.1, -2.0 + 0.1 - 0.1])


def test_ema_starts_at_the_variable_and_finalize_copies_it():
    optimizer, w = SGD(1.0, use_ema=True, ema_momentum=0.5), np.zeros(1)
    for _ in range(3):
        optimizer.apply_gradients([(np.ones(1), w)])
    # w: -1, -2, -3; ema: -1, then ½·(-1) + ½·(-2) = -1.5, then ½·(-1.5) + ½·(-3) = -2.25
    np.testing.assert_array_equal(w, [-3.0])
    optimizer.finalize_variable_values([w])
    np.testing.assert_array_equal(w, [-2.25])
    unseen = np.ones(2)
    optimizer.finalize_variable_values([unseen])
    np.testing.assert_array_equal(unseen, [1.0, 1.0])
    plain, v = SGD(1.0), np.zeros(1)
    plain.apply_gradients([(np.ones(1), v)])
    plain.finalize_variable_values([v])
    np.testing.assert_array_equal(v, [-1.0])


def test_gradient_accumulation_applies_the_mean_every_n_calls():
    optimizer, w = SGD(1.0, gradient_accumulation_steps=3), np.zeros(1)
    seen = []
    for g in (1.0, 2.0, 6.0, 3.0):
        optimizer.apply_gradients([(np.array([g]), w)])
        seen.append((float(w[0]), optimizer.iterations))
    assert seen == [(0.0, 0), (0.0, 0), (-3.0, 1), (-3.0, 1)]
    np.testing.assert_array_equal(optimizer._accumulators[0], [3.0])
    assert int(optimizer.variables[0]) == 4  # the calls, as Keras saves its `_iterations`


def test_loss_scale_factor_divides_the_gradients_and_scales_the_loss():
    optimizer, w = SGD(1.0, loss_scale_factor=4.0), np.zeros(1)
    optimizer.apply_gradients([(np.array([8.0]), w)])
    np.testing.assert_array_equal(w, [-2.0])
    assert optimizer.scale_loss(1.5) == 6.0 and SGD().scale_loss(1.5) == 1.5


# ------------------------------------------------------------------ models: fit, save and load
def dense_model(optimizer):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    return x, (x @ rng.standard_normal((3, 2)) + 0.5).astype("float32")


def test_fit_with_ema_and_loss_scale_matches_keras():
    tf = import_tensorflow()
    x, y = regression_data()
    kwargs = {"momentum": 0.9, "use_ema": True, "ema_momentum": 0.8, "loss_scale_factor": 2.0}
    tf.keras.utils.set_random_seed(0)
    theirs = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    theirs.compile(optimizer=tf.keras.optimizers.SGD(0.05, **kwargs), loss="mse")
    ours = dense_model(SGD(0.05, **kwargs))
    ours.set_weights(theirs.get_weights())
    theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity("Dense fit with SGD(momentum, use_ema, loss_scale_factor): finalized weights after 12 steps",
                      "float32", a, b, OPTIMIZER_FLOAT32_RTOL, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


def test_fit_copies_the_moving_average_into_the_weights():
    x, y = regression_data()
    model = dense_model(Adam(0.01, use_ema=True))
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for weight, average in zip(model.trainable_weights, model.optimizer._averages):
        np.testing.assert_array_equal(weight, average)


@pytest.mark.parametrize("optimizer", [
    lambda: AdamW(0.01, use_ema=True, gradient_accumulation_steps=3),
    lambda: Nadam(0.01, weight_decay=0.01, use_ema=True, ema_overwrite_frequency=2, gradient_accumulation_steps=2),
])
def test_model_saved_mid_training_continues_identically(tmp_path, optimizer):
    x, y = regression_data()
    model = dense_model(optimizer())
    for step in range(5):  # 5 calls: the accumulators hold two batches' gradients
        model.train_on_batch(x[8 * step:8 * step + 8], y[8 * step:8 * step + 8])
    assert any(np.any(a != 0) for a in model.optimizer._accumulators)
    model.save(tmp_path / "model.redes")
    loaded = load_model(tmp_path / "model.redes")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for step in range(5, 8):
        for m in (model, loaded):
            m.train_on_batch(x[8 * step:8 * step + 8], y[8 * step:8 * step + 8])
    for m in (model, loaded):
        m.optimizer.finalize_variable_values(m.trainable_weights)
    for a, b in zip(model.get_weights() + model.optimizer.variables, loaded.get_weights() + loaded.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_state_holds_averages_and_accumulators_by_position():
    optimizer, weights = Adam(use_ema=True, gradient_accumulation_steps=2), [w.copy() for w in INITIAL]
    optimizer.build(weights)
    # iterations, 2 slots per variable, then one average and one accumulator per variable
    assert [v.shape for v in optimizer.variables] == [(), (4, 3), (4, 3), (3,), (3,), (4, 3), (3,), (4, 3), (3,)]


# ------------------------------------------------------------------ config, names, arguments
@pytest.mark.parametrize("name", list(CASES))
def test_get_config_round_trip(name):
    optimizer = make(name, schedules)
    config = optimizer.get_config()
    json.dumps(config)
    rebuilt = type(optimizer).from_config(config)
    assert rebuilt.get_config() == config
    for key, value in CASES[name][1].items():
        assert config[key] == value


def test_keras_defaults_and_names():
    base = SGD().get_config()
    assert {key: base[key] for key in ("weight_decay", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                                       "loss_scale_factor", "gradient_accumulation_steps")} == {
        "weight_decay": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
        "loss_scale_factor": None, "gradient_accumulation_steps": None}
    adamw = optimizers.get("AdamW")
    assert type(adamw) is AdamW and adamw.name == "adamw"
    assert (adamw.learning_rate, adamw.weight_decay, adamw.beta_1, adamw.beta_2, adamw.epsilon, adamw.amsgrad) == (
        0.001, 0.004, 0.9, 0.999, 1e-7, False)


@pytest.mark.parametrize("factory, kwargs, error, match", [
    (SGD, {"weight_decay": -0.1}, ValueError, "weight_decay=-0.1"),
    (Adam, {"weight_decay": "0.1"}, TypeError, "weight_decay"),
    (AdamW, {"weight_decay": None}, ValueError, "weight_decay=None"),
    (Adam, {"use_ema": 1}, TypeError, "use_ema"),
    (Adam, {"use_ema": True, "ema_momentum": 1.5}, ValueError, "ema_momentum=1.5"),
    (Adam, {"ema_overwrite_frequency": 0}, ValueError, "ema_overwrite_frequency=0"),
    (Adam, {"ema_overwrite_frequency": 2.0}, TypeError, "ema_overwrite_frequency"),
    (Adam, {"gradient_accumulation_steps": 1}, ValueError, "gradient_accumulation_steps=1"),
    (Adam, {"gradient_accumulation_steps": 3.0}, TypeError, "gradient_accumulation_steps"),
    (Adam, {"loss_scale_factor": 0.0}, ValueError, "loss_scale_factor"),
    (Adam, {"loss_scale_factor": "big"}, TypeError, "loss_scale_factor"),
])
def test_bad_arguments(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


def test_exclude_by_name_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="var_names.*var_list"):
        AdamW().exclude_from_weight_decay(var_names=["bias"])
