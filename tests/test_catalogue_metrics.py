"""The Java library's extra metrics: precision, recall, F1, confusion matrix, top-k accuracy, RMSE."""

import numpy as np
import pytest

from helpers import import_tensorflow
from redes import Sequential, layers, metrics

K = 4


def rng(seed=0):
    return np.random.default_rng(seed)


def batches(kind, sizes=(7, 3, 6), seed=0):
    out = []
    for i, n in enumerate(sizes):
        r = rng(seed + i)
        if kind == "binary":
            y_pred = r.random((n, 1))
            y_pred[0] = 0.5  # at the threshold: not above it
            out.append((r.integers(0, 2, (n, 1)).astype(float), y_pred))
        elif kind == "multilabel":
            out.append((r.integers(0, 2, (n, 3)).astype(float), r.random((n, 3))))
        elif kind == "categorical":
            out.append((np.eye(K)[r.integers(0, K, n)], r.random((n, K)).astype("float32")))
        elif kind == "sparse":
            out.append((r.integers(0, K, n), r.random((n, K)).astype("float32")))
        elif kind == "regression":
            out.append((r.standard_normal((n, 3)), r.standard_normal((n, 3))))
    return out


def run(ours, theirs, kind, weighted, convert=lambda t, p: (t, p)):
    """Feed both metrics the same batches (two epochs with a reset); compare after every update."""
    for seed in (0, 10):
        for y_true, y_pred in batches(kind, seed=seed):
            weight = rng(seed + 99).uniform(0, 2, len(y_true)) if weighted else None
            ours.update_state(y_true, y_pred, sample_weight=weight)
            theirs.update_state(*convert(y_true, y_pred), sample_weight=weight)
            np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6, atol=1e-7)
        ours.reset_state()
        theirs.reset_state()


CASES = [
    ("Precision", {}, "binary"), ("Precision", {"thresholds": 0.3}, "multilabel"),
    ("Precision", {"class_id": 2}, "multilabel"), ("Recall", {}, "binary"),
    ("Recall", {"thresholds": 0.7}, "multilabel"), ("Recall", {"class_id": 1}, "categorical"),
    ("F1Score", {}, "categorical"), ("F1Score", {"average": "macro"}, "categorical"),
    ("F1Score", {"average": "micro"}, "categorical"), ("F1Score", {"average": "weighted"}, "categorical"),
    ("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel"),
    ("TopKCategoricalAccuracy", {}, "categorical"), ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"), ("RootMeanSquaredError", {}, "regression"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("class_name,kwargs,kind", CASES)
def test_matches_keras_over_updates_and_reset(class_name, kwargs, kind, weighted):
    tf = import_tensorflow()
    ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(tf.keras.metrics, class_name)(**kwargs)
    assert theirs.name.startswith(ours.name)  # Keras numbers repeated auto names: precision_1, ...
    run(ours, theirs, kind, weighted)
    assert ours.result() == 0.0


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("average", [None, "macro", "weighted"])
def test_f1_with_integer_labels_equals_keras_with_one_hot(average, weighted):
    tf = import_tensorflow()
    run(metrics.F1Score(average=average), tf.keras.metrics.F1Score(average=average), "sparse", weighted,
        convert=lambda t, p: (np.eye(K)[t], p))


class _KerasPerClass:
    """Keras' binary Precision/Recall with class_id=k on one-hot argmax predictions, one per class."""

    def __init__(self, tf, class_name, average):
        self.per_class = [getattr(tf.keras.metrics, class_name)(class_id=k) for k in range(K)]
        self.average, self.support = average, np.zeros(K)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = np.eye(K)[y_true], np.eye(K)[y_pred.argmax(axis=-1)]
        w = np.ones(len(y_true)) if sample_weight is None else sample_weight
        self.support += (y_true * w[:, None]).sum(axis=0)
        for metric in self.per_class:
            metric.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        scores = np.array([float(m.result()) for m in self.per_class])
        if self.average is None:
            return scores
        return (scores * self.support).sum() / self.support.sum() if self.average == "weighted" else scores.mean()

    def reset_state(self):
        self.support[:] = 0
        for metric in self.per_class:
            metric.reset_state()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("average", [None, "macro", "weighted"])
@pytest.mark.parametrize("class_name", ["Precision", "Recall"])
def test_multiclass_precision_recall_equal_keras_per_class(class_name, average, weighted):
    tf = import_tensorflow()
    ours = getattr(metrics, class_name)(average=average)
    run(ours, _KerasPerClass(tf, class_name, average), "sparse", weighted)


def naive_counts(labels, predicted, classes=K):
    tp, fp, fn = np.zeros(classes), np.zeros(classes), np.zeros(classes)
    for t, p in zip(labels, predicted):
        if t == p:
            tp[t] += 1
        else:
            fp[p] += 1
            fn[t] += 1
    return tp, fp, fn


def test_micro_average_and_naive_loop():
    labels, scores = batches("sparse")[0]
    tp, fp, fn = naive_counts(labels, scores.argmax(axis=-1))
    precision = metrics.Precision(average=None)
    precision.update_state(labels, scores)
    expected = np.divide(tp, tp + fp, out=np.zeros(K), where=tp + fp > 0)
    np.testing.assert_allclose(precision.result(), expected)
    micro = metrics.Precision(average="micro")
    micro.update_state(labels, scores)
    assert micro.result() == pytest.approx(tp.sum() / (tp.sum() + fp.sum()))
    recall = metrics.Recall(average=None)
    recall.update_state(labels, scores)
    np.testing.assert_allclose(recall.result(), np.divide(tp, tp + fn, out=np.zeros(K), where=tp + fn > 0))


@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_matches_tensorflow(weighted):
    tf = import_tensorflow()
    ours, total = metrics.ConfusionMatrix(), np.zeros((K, K))
    for y_true, y_pred in batches("sparse") + batches("categorical", seed=5):
        labels = y_true if y_true.ndim == 1 else y_true.argmax(axis=-1)
        weight = rng(1).uniform(0, 2, len(labels)) if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=weight)
        total += tf.math.confusion_matrix(labels, y_pred.argmax(axis=-1), num_classes=K, weights=weight,
                                          dtype=tf.float64).numpy()
        np.testing.assert_allclose(ours.result(), total, rtol=1e-12)
    assert ours.result().dtype == (np.float64 if weighted else np.int64)


def test_confusion_matrix_inputs_and_growth():
    m = metrics.ConfusionMatrix()
    m.update_state([0, 1], [0, 1])  # predicted labels
    m.update_state(np.array([[1], [0]]), np.array([[0.9], [0.2]]))  # a sigmoid column
    m.update_state([3], [2])  # grows to 4 classes
    expected = np.zeros((4, 4), dtype=int)
    expected[0, 0], expected[1, 1] = 2, 2
    expected[3, 2] = 1
    np.testing.assert_array_equal(m.result(), expected)
    assert f"{m.result():.1f}".count("[") == 5 and "\n" not in f"{m.result():.1f}"
    m.reset_state()
    assert m.result().shape == (0, 0)
    fixed = metrics.ConfusionMatrix(num_classes=3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        fixed.update_state([3], [0])


def test_top_k_ties_count_as_in_top_k():
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 1, 0]], [[0.4, 0.4, 0.2]])
    assert m.result() == 1.0  # as tf.math.in_top_k


def test_results_format_in_logs_and_repr():
    m = metrics.F1Score()
    m.update_state([0, 1], [[0.9, 0.1], [0.2, 0.8]])
    assert f"{m.result():.2f}" == "[1.00 1.00]" and repr(m.result()).startswith("array(")
    assert "F1Score(name='f1_score'" in repr(m)


@pytest.mark.parametrize("name,loss,cls,average", [
    ("precision", "sparse_categorical_crossentropy", metrics.Precision, "macro"),
    ("precision", "categorical_crossentropy", metrics.Precision, "macro"),
    ("precision", "binary_crossentropy", metrics.Precision, "binary"),
    ("recall", "sparse_categorical_crossentropy", metrics.Recall, "macro"),
    ("recall", "mse", metrics.Recall, "binary"),
    ("f1_score", "mse", metrics.F1Score, "macro"),
])
def test_get_class_scores_by_name(name, loss, cls, average):
    metric = metrics.get(name, loss=loss)
    assert type(metric) is cls and metric.average == average and metric.name == name
    assert type(metric)(**metric.get_config()).get_config() == metric.get_config()


@pytest.mark.parametrize("name,cls", [
    ("rmse", metrics.RootMeanSquaredError), ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("confusion_matrix", metrics.ConfusionMatrix),
])
def test_get_by_name(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == name
    assert type(metric)(**metric.get_config()).get_config() == metric.get_config()


def test_compile_by_name_and_fit_logs(capsys):
    x = rng(0).standard_normal((60, 5))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    model = Sequential([layers.Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "precision", "recall", "f1_score", "confusion_matrix",
                           "sparse_top_k_categorical_accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=20, verbose=1)
    logs = history.history
    assert isinstance(logs["precision"][-1], float) and isinstance(logs["f1_score"][-1], float)
    assert logs["confusion_matrix"][-1].shape == (3, 3) and logs["confusion_matrix"][-1].sum() == 60
    assert logs["sparse_top_k_categorical_accuracy"][-1] == 1.0  # k = 5 > 3 classes
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = model.predict(x).argmax(axis=-1)
    tp, fp, _ = naive_counts(y, predicted, 3)
    expected = np.mean(np.divide(tp, tp + fp, out=np.zeros(3), where=tp + fp > 0))
    assert results["precision"] == pytest.approx(expected)
    np.testing.assert_array_equal(results["confusion_matrix"].sum(axis=1), np.bincount(y, minlength=3))


@pytest.mark.parametrize("factory,kwargs,error,match", [
    (metrics.F1Score, {"average": "sum"}, ValueError, "average"),
    (metrics.F1Score, {"threshold": "0.5"}, TypeError, "threshold"),
    (metrics.Precision, {"class_id": -1}, ValueError, "class_id"),
    (metrics.Precision, {"class_id": 1, "average": "macro"}, ValueError, "class_id"),
    (metrics.Recall, {"average": "samples"}, ValueError, "average"),
    (metrics.ConfusionMatrix, {"num_classes": 0}, ValueError, "num_classes"),
    (metrics.TopKCategoricalAccuracy, {"k": 0}, ValueError, "k"),
])
def test_bad_arguments(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


@pytest.mark.parametrize("metric,y_true,y_pred,match", [
    (metrics.Precision(), np.zeros((3, 2)), np.zeros((3, 4)), "shape"),
    (metrics.F1Score(), np.zeros((3, 2)), np.zeros((3, 4)), "one-hot"),
    (metrics.F1Score(), np.array([0, 5, 1]), np.zeros((3, 4)), r"\[0, 4\)"),
    (metrics.ConfusionMatrix(), np.array([0, -1]), np.array([0, 1]), "non-negative"),
    (metrics.TopKCategoricalAccuracy(), np.zeros(3), np.zeros((3, 4)), "one-hot"),
])
def test_bad_inputs(metric, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        metric.update_state(y_true, y_pred)
