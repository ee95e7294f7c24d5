import numpy as np
import pytest

from helpers import import_tensorflow
from redes import losses, metrics

K = 4


def rng(seed=0):
    return np.random.default_rng(seed)


def batches(kind, sizes=(6, 3, 5), seed=0):
    """(y_true, y_pred) batches for one kind of metric, with some ties to the threshold and in argmax."""
    out = []
    for i, n in enumerate(sizes):
        r = rng(seed + i)
        if kind == "sparse":
            y_pred = r.random((n, K)).astype("float32")
            out.append((r.integers(0, K, n), y_pred))
        elif kind == "sparse_column":
            out.append((r.integers(0, K, (n, 1)), r.random((n, K)).astype("float32")))
        elif kind == "categorical":
            y_pred = r.random((n, K)).astype("float32")
            y_pred[0] = 0.25  # a tie: argmax takes the first
            out.append((np.eye(K)[r.integers(0, K, n)], y_pred))
        elif kind == "binary":
            y_pred = r.random((n, 1)).astype("float32")
            y_pred[0] = 0.5  # exactly at the threshold: not above it
            out.append((r.integers(0, 2, (n, 1)).astype("float32"), y_pred))
        elif kind == "binary_multilabel":
            out.append((r.integers(0, 2, (n, 3)), r.random((n, 3))))
        elif kind == "regression":
            out.append((r.standard_normal((n, 3)), r.standard_normal((n, 3)).astype("float32")))
        elif kind == "images":
            out.append((r.standard_normal((n, 2, 3, 2)), r.standard_normal((n, 2, 3, 2))))
    return out


METRIC_CASES = [
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_column"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_multilabel"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "images"),
    ("MeanAbsoluteError", {}, "regression"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("class_name,kwargs,kind", METRIC_CASES)
def test_metric_matches_tensorflow_over_updates_and_reset(class_name, kwargs, kind, weighted):
    tf = import_tensorflow()
    ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(tf.keras.metrics, class_name)(**kwargs)
    assert ours.name == theirs.name
    for epoch, seed in enumerate((0, 10)):
        for y_true, y_pred in batches(kind, seed=seed):
            weight = rng(seed + 99).uniform(0, 2, len(y_true)) if weighted else None
            ours.update_state(y_true, y_pred, sample_weight=weight)
            theirs.update_state(y_true, y_pred, sample_weight=weight)
            assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6, abs=1e-7)
        assert isinstance(ours.result(), float)
        ours.reset_state()
        theirs.reset_state()
        assert ours.result() == 0.0


@pytest.mark.parametrize("values,weight", [
    (2.5, None), (2.5, 32), ([1.0, 2.0, 4.0], None), ([1.0, 2.0, 4.0], [1.0, 0.0, 3.0]),
    ([1.0, 2.0, 4.0], 2.0), (np.arange(12.0).reshape(3, 4), None), (np.arange(12.0).reshape(3, 4), [1.0, 2.0, 0.5]),
])
def test_mean_matches_tensorflow(values, weight):
    tf = import_tensorflow()
    ours, theirs = metrics.Mean(name="loss"), tf.keras.metrics.Mean(name="loss")
    for scale in (1.0, 3.0):
        ours.update_state(np.asarray(values) * scale, sample_weight=weight)
        theirs.update_state(np.asarray(values) * scale, sample_weight=weight)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)


def test_mean_accumulates_in_float64_without_drift():
    mean = metrics.Mean()
    values = rng(1).random(5000).astype("float32") + np.float32(1e4)
    for value in values:
        mean.update_state(value, sample_weight=32)
    assert mean.result() == pytest.approx(values.astype(np.float64).mean(), rel=1e-13)
    assert mean.total == pytest.approx(32 * values.astype(np.float64).sum(), rel=1e-13)


def test_accuracies_against_a_naive_loop():
    y_pred = rng(2).random((7, K))
    labels = rng(3).integers(0, K, 7)
    expected = np.mean([labels[i] == max(range(K), key=lambda k: y_pred[i, k]) for i in range(7)])
    sparse, categorical = metrics.SparseCategoricalAccuracy(), metrics.CategoricalAccuracy()
    sparse.update_state(labels, y_pred)
    categorical.update_state(np.eye(K)[labels], y_pred)
    assert sparse.result() == categorical.result() == pytest.approx(expected)


@pytest.mark.parametrize("name", ["accuracy", "acc"])
@pytest.mark.parametrize("loss,expected", [
    ("binary_crossentropy", metrics.BinaryAccuracy),
    (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    (losses.CategoricalCrossentropy(), metrics.CategoricalAccuracy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
    ("mse", metrics.AutoAccuracy),
    (None, metrics.AutoAccuracy),
])
def test_accuracy_resolves_from_the_loss(name, loss, expected):
    metric = metrics.get(name, loss=loss)
    assert type(metric) is expected and metric.name == name


@pytest.mark.parametrize("kind,reference", [
    ("binary", metrics.BinaryAccuracy), ("binary_multilabel", metrics.CategoricalAccuracy),
    ("categorical", metrics.CategoricalAccuracy), ("sparse", metrics.SparseCategoricalAccuracy),
    ("sparse_column", metrics.SparseCategoricalAccuracy),
])
def test_auto_accuracy_decides_from_shapes_like_keras(kind, reference):
    tf = import_tensorflow()
    auto, expected = metrics.get("acc"), reference()
    for y_true, y_pred in batches(kind):
        auto.update_state(y_true, y_pred)
        expected.update_state(y_true, y_pred)
    assert auto.name == "acc" and auto.result() == expected.result()
    # Keras 3 picks the same accuracy from the same shapes.
    from keras.src.trainers.compile_utils import get_metric
    y_true, y_pred = batches(kind)[0]
    keras_metric = get_metric("acc", tf.constant(y_true), tf.constant(y_pred))
    assert type(keras_metric).__name__ == reference.__name__


@pytest.mark.parametrize("name,cls", [
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("categorical_accuracy", metrics.CategoricalAccuracy), ("binary_accuracy", metrics.BinaryAccuracy),
    ("mean_squared_error", metrics.MeanSquaredError), ("mse", metrics.MeanSquaredError),
    ("mean_absolute_error", metrics.MeanAbsoluteError), ("mae", metrics.MeanAbsoluteError),
])
def test_get_by_name_keeps_the_given_name(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == name
    assert type(metric)(**metric.get_config()).get_config() == metric.get_config()


def test_get_passes_metrics_through_and_rejects_the_rest():
    metric = metrics.BinaryAccuracy(threshold=0.3)
    assert metrics.get(metric, loss="mse") is metric
    with pytest.raises(ValueError, match="accurcy.*accuracy.*sparse_categorical_accuracy"):
        metrics.get("accurcy")
    with pytest.raises(TypeError, match="metric"):
        metrics.get(3)


@pytest.mark.parametrize("metric,y_true,y_pred,match", [
    (metrics.SparseCategoricalAccuracy(), np.zeros((3, 4)), np.zeros((3, 4)), r"\(3,\).*\(3, 4\)"),
    (metrics.CategoricalAccuracy(), np.zeros(3), np.zeros((3, 4)), r"\(3,\).*\(3, 4\)"),
    (metrics.BinaryAccuracy(), np.zeros((3, 2)), np.zeros((3, 3)), r"\(3, 2\).*\(3, 3\)"),
    (metrics.MeanSquaredError(), np.zeros((3, 2)), np.zeros((3, 3)), r"\(3, 2\).*\(3, 3\)"),
    (metrics.SparseCategoricalAccuracy(), np.zeros(2), np.zeros((3, 4)), r"same size.*\(2,\).*\(3, 4\)"),
])
def test_bad_shapes_raise(metric, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        metric.update_state(y_true, y_pred)


def test_bad_arguments():
    with pytest.raises(ValueError, match="name"):
        metrics.Mean(name="")
    with pytest.raises(TypeError, match="threshold"):
        metrics.BinaryAccuracy(threshold="high")
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])


@pytest.mark.parametrize("make, error, message", [
    (lambda: metrics.Mean(name=3), TypeError, "`name` must be a non-empty string. Received: name=3"),
    (lambda: metrics.Mean(name=""), ValueError, "`name` must be a non-empty string. Received: name=''"),
    (lambda: metrics.BinaryAccuracy(threshold=float("nan")), ValueError, "Received: threshold=nan"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2.0), TypeError, "`k` must be a positive integer. Received: k=2.0"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), ValueError, "`k` must be a positive integer. Received: k=0"),
    (lambda: metrics.F1Score(average="mean"), ValueError, "Received: average='mean'"),
    (lambda: metrics.F1Score(average=1), TypeError, "Received: average=1"),
    (lambda: metrics.F1Score(threshold="0.5"), TypeError, "`threshold` must be a finite number or None"),
    (lambda: metrics.Precision(class_id=-1), ValueError,
     "`class_id` must be a non-negative integer or None. Received: class_id=-1"),
    (lambda: metrics.Precision(class_id="0"), TypeError, "Received: class_id='0'"),
    (lambda: metrics.ConfusionMatrix(num_classes=0), ValueError,
     "`num_classes` must be a positive integer or None. Received: num_classes=0"),
    (lambda: metrics.ConfusionMatrix(num_classes=2.5), TypeError, "Received: num_classes=2.5"),
])
def test_constructor_checks_name_the_argument_and_echo_the_value(make, error, message):
    """TypeError for a wrong type, ValueError for a wrong value (redes.validation's messages)."""
    with pytest.raises(error) as caught:
        make()
    assert message in str(caught.value)
