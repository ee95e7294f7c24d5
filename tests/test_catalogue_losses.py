"""The losses beyond MSE, MAE and the cross-entropies: MSLE, RMSE, Huber, LogCosh, KLDivergence, CategoricalHinge
(the Java library's), and Keras' MAPE, CosineSimilarity, Hinge, SquaredHinge, Poisson."""

import math

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, numerical_gradient, relative_error
from tolerances import EDGE_GRADIENT_ATOL, FLOAT32_RTOL, LOSS_FLOAT64_VALUE_RTOL, elementwise, tolerance
from redes import Sequential, activations, layers, losses

GRADCHECK_TOLERANCE = 1e-6
N, K = 5, 4


def rng(seed=0):
    return np.random.default_rng(seed)


def probabilities(shape, seed=0):
    return activations.softmax(rng(seed).standard_normal(shape))


def one_hot(labels, classes=K):
    return np.eye(classes)[labels]


def cases():
    regression_t, regression_p = rng(1).standard_normal((N, K)), 2 * rng(2).standard_normal((N, K))
    positive_t, positive_p = rng(3).uniform(0.0, 3.0, (N, K)), rng(4).uniform(0.0, 3.0, (N, K))
    p, t = probabilities((N, K), 5), probabilities((N, K), 6)
    labels = rng(7).integers(0, K, N)
    scores = rng(8).standard_normal((N, K))
    return {  # name: (factory, y_true, y_pred, the same loss in Keras as (class name, kwargs))
        "msle": (losses.MeanSquaredLogarithmicError, positive_t, positive_p, ("MeanSquaredLogarithmicError", {})),
        "msle_images": (losses.MeanSquaredLogarithmicError, rng(9).uniform(0, 2, (2, 3, 2, 2)),
                        rng(10).uniform(0, 2, (2, 3, 2, 2)), ("MeanSquaredLogarithmicError", {})),
        "rmse": (losses.RootMeanSquaredError, regression_t, regression_p, None),
        "huber": (losses.Huber, regression_t, regression_p, ("Huber", {})),
        "huber_delta": (lambda: losses.Huber(delta=0.3), regression_t, regression_p, ("Huber", {"delta": 0.3})),
        "log_cosh": (losses.LogCosh, regression_t, regression_p, ("LogCosh", {})),
        "kld": (losses.KLDivergence, t, p, ("KLDivergence", {})),
        "kld_one_hot": (losses.KLDivergence, one_hot(labels), p, ("KLDivergence", {})),
        "categorical_hinge": (losses.CategoricalHinge, one_hot(labels), scores, ("CategoricalHinge", {})),
        "categorical_hinge_probabilities": (losses.CategoricalHinge, one_hot(labels), p, ("CategoricalHinge", {})),
        "mape": (losses.MeanAbsolutePercentageError, regression_t, regression_p, ("MeanAbsolutePercentageError", {})),
        "cosine_similarity": (losses.CosineSimilarity, regression_t, regression_p, ("CosineSimilarity", {})),
        "hinge": (losses.Hinge, np.sign(regression_t), scores, ("Hinge", {})),
        "hinge_binary": (losses.Hinge, one_hot(labels), scores, ("Hinge", {})),
        "squared_hinge": (losses.SquaredHinge, np.sign(regression_t), scores, ("SquaredHinge", {})),
        "squared_hinge_binary": (losses.SquaredHinge, one_hot(labels), scores, ("SquaredHinge", {})),
        "poisson": (losses.Poisson, np.round(positive_t), positive_p, ("Poisson", {})),
    }


CASES = cases()


# Naive references, one row at a time, from the formulas.
def naive(name, t, p):
    t, p = t.reshape(-1, t.shape[-1]), p.reshape(-1, p.shape[-1])
    if "hinge" in name and name != "categorical_hinge" and not name.startswith("categorical_hinge"):
        t = 2 * t - 1 if np.isin(t, (0, 1)).all() else t  # 0/1 labels count as −1/1
    rows = []
    for tr, pr in zip(t, p):
        if name.startswith("msle"):
            rows.append(np.mean([(math.log(max(a, 1e-7) + 1) - math.log(max(b, 1e-7) + 1)) ** 2
                                 for a, b in zip(pr, tr)]))
        elif name.startswith("huber"):
            d = 0.3 if name == "huber_delta" else 1.0
            rows.append(np.mean([0.5 * e * e if abs(e) <= d else d * abs(e) - 0.5 * d * d for e in pr - tr]))
        elif name == "log_cosh":
            rows.append(np.mean([math.log(math.cosh(e)) for e in pr - tr]))
        elif name.startswith("kld"):
            rows.append(sum(min(max(a, 1e-7), 1) * math.log(min(max(a, 1e-7), 1) / min(max(b, 1e-7), 1))
                            for a, b in zip(tr, pr)))
        elif name.startswith("categorical_hinge"):
            pos = sum(a * b for a, b in zip(tr, pr))
            neg = max((1 - a) * b for a, b in zip(tr, pr))
            rows.append(max(neg - pos + 1, 0.0))
        elif name == "mape":
            rows.append(np.mean([100 * abs(a - b) / max(abs(a), 1e-7) for a, b in zip(tr, pr)]))
        elif name == "cosine_similarity":
            rows.append(-sum(a * b for a, b in zip(tr, pr)) / math.sqrt(sum(a * a for a in tr) * sum(b * b for b in pr)))
        elif name.startswith("squared_hinge"):
            rows.append(np.mean([max(0.0, 1 - a * b) ** 2 for a, b in zip(tr, pr)]))
        elif name.startswith("hinge"):
            rows.append(np.mean([max(0.0, 1 - a * b) for a, b in zip(tr, pr)]))
        elif name == "poisson":
            rows.append(np.mean([b - a * math.log(b + 1e-7) for a, b in zip(tr, pr)]))
    if name == "rmse":
        return math.sqrt(np.mean((p - t) ** 2))
    return float(np.mean(rows))


@pytest.mark.parametrize("case", list(CASES))
def test_value_matches_naive_formula(case):
    factory, y_true, y_pred, _ = CASES[case]
    assert factory()(y_true, y_pred) == pytest.approx(naive(case, y_true, y_pred), rel=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_matches_central_differences(case):
    factory, y_true, y_pred, _ = CASES[case]
    loss, y_pred = factory(), y_pred.copy()
    analytic = loss.gradient(y_true, y_pred)
    numeric = numerical_gradient(lambda: loss(y_true, y_pred), y_pred)
    error = relative_error(analytic, numeric)
    assert error < GRADCHECK_TOLERANCE, f"{case}: relative error {error:.2e}"


def tf_loss_and_gradient(tf, case, y_true, y_pred, dtype):
    spec = CASES[case][3]
    if spec is None:  # RMSE: the root of Keras' MSE
        mse = tf.keras.losses.MeanSquaredError(dtype=dtype)
        function = lambda t, p: tf.sqrt(mse(t, p))  # noqa: E731
    else:
        function = getattr(tf.keras.losses, spec[0])(**spec[1], dtype=dtype)
    y_pred = tf.constant(y_pred, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        value = function(tf.constant(y_true, dtype=dtype), y_pred)
    return float(value), tape.gradient(value, y_pred).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_tensorflow(case, dtype):
    tf = import_tensorflow()
    factory, y_true, y_pred, _ = CASES[case]
    y_pred = y_pred.astype(dtype)
    loss = factory()
    value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    tf_value, tf_grad = tf_loss_and_gradient(tf, case, y_true, y_pred, dtype)
    assert isinstance(value, float) and grad.dtype == dtype and grad.shape == y_pred.shape
    what = type(loss).__name__
    value_rtol = tolerance(dtype)
    if dtype == "float64" and case in LOSS_FLOAT64_VALUE_RTOL:  # Keras computes log 2 in float32
        value_rtol, what = LOSS_FLOAT64_VALUE_RTOL[case], f"{what} (Keras' float32 log 2)"
    assert_parity(f"{what}: value", dtype, value, tf_value, value_rtol)
    assert_parity(f"{what}: gradient wrt y_pred", dtype, grad, tf_grad, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_edges_match_tensorflow(dtype):
    """Clipped and tied entries: MSLE below ε, KLD at 0 and 1, the hinge's tied maximum and zero margin."""
    tf = import_tensorflow()
    edge_cases = {
        "msle": (np.array([[0.0, 1e-9, 2.0]]), np.array([[0.0, 1e-8, 1.0]]), ("MeanSquaredLogarithmicError", {})),
        "kld": (np.array([[0.0, 0.5, 0.5]]), np.array([[0.0, 0.0, 1.0]]), ("KLDivergence", {})),
        "categorical_hinge": (np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
                              np.array([[0.5, 0.3, 0.3], [1.0, 0.0, 0.0]]), ("CategoricalHinge", {})),
    }
    for name, (y_true, y_pred, (class_name, kwargs)) in edge_cases.items():
        loss = losses.get(name)
        y_pred = y_pred.astype(dtype)
        tf_pred = tf.constant(y_pred)
        with tf.GradientTape() as tape:
            tape.watch(tf_pred)
            value = getattr(tf.keras.losses, class_name)(dtype=dtype)(tf.constant(y_true, dtype=dtype), tf_pred)
        what = f"{class_name} at its edges (clipped, tied, zero margin)"
        rtol, atol = (FLOAT32_RTOL, EDGE_GRADIENT_ATOL) if dtype == "float32" else elementwise(dtype)
        assert_parity(f"{what}: value", dtype, loss(y_true, y_pred), float(value), tolerance(dtype))
        assert_parity(f"{what}: gradient wrt y_pred", dtype, loss.gradient(y_true, y_pred),
                      tape.gradient(value, tf_pred).numpy(), rtol=rtol, atol=atol)


def test_rmse_gradient_at_zero_and_huber_regions():
    y = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(losses.RootMeanSquaredError().gradient(y, y.copy()), np.zeros((1, 2)))
    huber = losses.Huber(delta=1.0)
    np.testing.assert_allclose(huber.gradient(np.zeros((1, 4)), np.array([[0.5, -0.5, 3.0, -3.0]])),
                               np.array([[0.5, -0.5, 1.0, -1.0]]) / 4)


@pytest.mark.parametrize("name,cls", [
    ("mean_squared_logarithmic_error", losses.MeanSquaredLogarithmicError),
    ("msle", losses.MeanSquaredLogarithmicError),
    ("root_mean_squared_error", losses.RootMeanSquaredError), ("rmse", losses.RootMeanSquaredError),
    ("huber_loss", losses.Huber), ("huber", losses.Huber), ("log_cosh", losses.LogCosh), ("logcosh", losses.LogCosh),
    ("kl_divergence", losses.KLDivergence), ("kld", losses.KLDivergence),
    ("kullback_leibler_divergence", losses.KLDivergence), ("categorical_hinge", losses.CategoricalHinge),
])
def test_get_by_name_and_config_round_trip(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls and loss.name == cls.default_name
    assert type(loss)(**loss.get_config()).get_config() == loss.get_config()


def test_keras_names():
    tf = import_tensorflow()
    for cls, keras_name in [(losses.MeanSquaredLogarithmicError, "MeanSquaredLogarithmicError"),
                            (losses.Huber, "Huber"), (losses.LogCosh, "LogCosh"),
                            (losses.KLDivergence, "KLDivergence"), (losses.CategoricalHinge, "CategoricalHinge")]:
        assert cls().name == getattr(tf.keras.losses, keras_name)().name


@pytest.mark.parametrize("factory,kwargs,error,match", [
    (losses.Huber, {"delta": 0.0}, ValueError, "delta"),
    (losses.Huber, {"delta": "1"}, TypeError, "delta"),
    (losses.LogCosh, {"name": ""}, ValueError, "name"),
])
def test_bad_arguments(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


def test_bad_targets():
    with pytest.raises(ValueError, match="y_true"):
        losses.Huber()(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="y_pred"):
        losses.KLDivergence()(np.zeros(3), np.zeros(3))


def test_regression_losses_train_a_model():
    x = rng(0).standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    for name in ["msle", "rmse", "huber", "log_cosh"]:
        target = np.abs(y) if name == "msle" else y
        model = Sequential([layers.Input((3,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
        model.compile(optimizer="adam", loss=name)
        history = model.fit(x, target, epochs=30, batch_size=16, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0], name
