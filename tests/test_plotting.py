"""Plots render headless (Agg), save real PNGs, and show the right numbers, labels and colours."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from redes import Sequential, layers, plotting  # noqa: E402
from redes.callbacks import History  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 1000


def history_dict(epochs=5):
    rng = np.random.default_rng(0)
    return {"loss": list(np.linspace(1, 0.2, epochs)), "accuracy": list(np.linspace(0.5, 0.9, epochs)),
            "val_loss": list(np.linspace(1.1, 0.4, epochs) + rng.normal(0, 0.01, epochs)),
            "val_accuracy": list(np.linspace(0.45, 0.85, epochs))}


def test_importing_redes_does_not_import_pyplot():
    code = "import sys, redes; from redes import plotting; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ----------------------------------------------------------------------- history
def test_plot_history_draws_train_and_validation_and_saves(tmp_path):
    history = History()
    history.history = history_dict()
    path = tmp_path / "out" / "curves.png"
    fig = plotting.plot_history(history, save_path=path)
    assert_png(path)
    assert len(fig.axes) == 2
    loss_axes = fig.axes[0]
    train, val = loss_axes.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_allclose(train.get_ydata(), history.history["loss"])
    np.testing.assert_allclose(val.get_ydata(), history.history["val_loss"])
    assert [t.get_text() for t in loss_axes.get_legend().get_texts()] == ["train", "validation"]


def test_plot_history_default_skips_a_missing_accuracy_but_named_keys_must_exist():
    fig = plotting.plot_history({"loss": [1.0, 0.5]})
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    fig = plotting.plot_history(history_dict(), metrics=["val_loss"])
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="acuracy"):
        plotting.plot_history(history_dict(), metrics=["acuracy"])
    with pytest.raises(ValueError, match="one value per epoch"):
        plotting.plot_history({"loss": [1.0, 0.5], "val_loss": [1.0]})
    with pytest.raises(TypeError, match="history"):
        plotting.plot_history([1.0, 2.0])


# -------------------------------------------------------------------- confusion
def naive_confusion(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[t, p] += 1
    return matrix


def test_confusion_matrix_equals_a_naive_loop():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 7, size=500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 7, size=500))
    expected = naive_confusion(y_true, y_pred, 7)
    np.testing.assert_array_equal(plotting.confusion_matrix(y_true, y_pred, 7), expected)
    np.testing.assert_array_equal(plotting.confusion_matrix(np.eye(7)[y_true], np.eye(7)[y_pred]), expected)
    wide = plotting.confusion_matrix(y_true, y_pred, 9)
    assert wide.shape == (9, 9) and wide.sum() == 500 and wide[7:].sum() == 0


@pytest.mark.parametrize("y_true, y_pred, num_classes, message", [
    ([0, 1], [0], None, "one entry per sample"),
    ([0, 3], [0, 1], 3, "num_classes=3"),
    ([0, -1], [0, 1], None, ">= 0"),
    ([0.5, 1], [0, 1], None, "integer class labels"),
    ([0, 1], [0, 1], 0, "num_classes"),
    (np.zeros((2, 2, 2)), [0, 1], None, "y_true"),
    ([], [], None, "empty"),
])
def test_confusion_matrix_bad_inputs(y_true, y_pred, num_classes, message):
    with pytest.raises(ValueError, match=message):
        plotting.confusion_matrix(y_true, y_pred, num_classes)


@pytest.mark.parametrize("normalize", [False, True])
def test_plot_confusion_matrix_cells_show_the_matrix(tmp_path, normalize):
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, size=200))
    names = ["cat", "dog", "bird", "fish"]
    path = tmp_path / "confusion.png"
    fig = plotting.plot_confusion_matrix(y_true, np.eye(4)[y_pred] * 0.9, class_names=names,
                                         normalize=normalize, save_path=path)
    assert_png(path)
    assert len(fig.axes) == 2                                    # the matrix and its colour bar
    ax = fig.axes[0]
    expected = naive_confusion(y_true, y_pred, 4).astype(float)
    if normalize:
        expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    shown = np.array([float(t.get_text()) for t in ax.texts]).reshape(4, 4)
    np.testing.assert_allclose(shown, expected, atol=0.005)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names


def test_plot_confusion_matrix_checks_class_names():
    with pytest.raises(ValueError, match="class_names"):
        plotting.plot_confusion_matrix([0, 1, 2], [0, 1, 2], class_names=["a", "b"])
    with pytest.raises(TypeError, match="class_names"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], class_names="ab")


# ------------------------------------------------------------------- predictions
def test_plot_predictions_highlights_mistakes_in_red(tmp_path):
    rng = np.random.default_rng(3)
    images = rng.random((12, 28, 28, 1)).astype("float32")
    y_true = np.arange(12) % 3
    y_pred = y_true.copy()
    y_pred[[1, 5, 8]] = (y_true[[1, 5, 8]] + 1) % 3
    probabilities = np.eye(3)[y_pred] * 0.8 + 0.2 / 3
    path = tmp_path / "predictions.png"
    fig = plotting.plot_predictions(images, y_true, probabilities, class_names=["zero", "one", "two"], n=9,
                                    save_path=path)
    assert_png(path)
    assert len(fig.axes) == 9
    red = mcolors.to_rgba("red")
    colors = [mcolors.to_rgba(ax.title.get_color()) for ax in fig.axes]
    assert [index for index, color in enumerate(colors) if color == red] == [1, 5, 8]
    assert fig.axes[1].get_title() == "two 87%\n(one)"
    assert fig.axes[0].get_title() == "zero 87%\n(zero)"
    assert "3 mistakes in 9 images" in fig._suptitle.get_text()


@pytest.mark.parametrize("shape", [(6, 16), (6, 4, 4), (6, 4, 4, 1), (6, 4, 4, 3)])
def test_plot_predictions_image_layouts(shape):
    images = np.random.default_rng(4).normal(size=shape)
    fig = plotting.plot_predictions(images, np.zeros(6, int), np.zeros(6, int), n=25)
    assert len(fig.axes) == 6
    assert all(mcolors.to_rgba(ax.title.get_color()) != mcolors.to_rgba("red") for ax in fig.axes)


@pytest.mark.parametrize("images, y_true, y_pred, n, message", [
    (np.zeros((3, 15)), [0, 0, 0], [0, 0, 0], 3, "square"),
    (np.zeros((3, 4, 4, 2)), [0, 0, 0], [0, 0, 0], 3, "images"),
    (np.zeros((3, 4, 4)), [0, 0], [0, 0], 3, "3 samples"),
    (np.zeros((3, 4, 4)), [0, 0, 0], [0, 0], 3, "one entry per sample"),
    (np.zeros((3, 4, 4)), [0, 0, 0], [0, 0, 0], 0, "`n`"),
])
def test_plot_predictions_bad_inputs(images, y_true, y_pred, n, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_predictions(images, y_true, y_pred, n=n)


# -------------------------------------------------------- filters and feature maps
def small_cnn(channels=1):
    return Sequential([layers.Input((10, 10, channels)), layers.Conv2D(6, 3, activation="relu"),
                       layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("channels", [1, 3, 2])
def test_plot_filters(tmp_path, channels):
    model = small_cnn(channels)
    path = tmp_path / "filters.png"
    fig = plotting.plot_filters(model.layers[0], save_path=path)
    assert_png(path)
    assert len(fig.axes) == 6
    kernel = model.layers[0].kernel.astype(np.float64)
    first = kernel[..., 0] if channels == 3 else kernel[..., 0].mean(axis=-1)
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, (first - first.min()) / (first.max() - first.min()), rtol=1e-12)
    assert len(plotting.plot_filters(model).axes) == 6         # a model: its first Conv2D


def test_plot_filters_rejects_other_layers():
    with pytest.raises(TypeError, match="Conv2D"):
        plotting.plot_filters(layers.Dense(3))
    dense_model = Sequential([layers.Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="no Conv2D"):
        plotting.plot_filters(dense_model)


def test_plot_feature_maps_match_the_layer_outputs(tmp_path):
    model = small_cnn()
    image = np.random.default_rng(5).random((10, 10, 1)).astype("float32")
    path = tmp_path / "maps.png"
    fig = plotting.plot_feature_maps(model, image, 1, save_path=path)
    assert_png(path)
    assert len(fig.axes) == 6
    expected = model.layers[1](model.layers[0](image[None]))[0]
    assert expected.shape == (4, 4, 6)
    for channel, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), expected[..., channel])
    assert len(plotting.plot_feature_maps(model, image[..., 0], 0).axes) == 6   # (H, W) works for C = 1


@pytest.mark.parametrize("image_shape, layer_index, error, message", [
    ((10, 10, 1), 3, ValueError, "not feature maps"),
    ((10, 10, 1), 4, ValueError, "layer_index"),
    ((10, 10, 1), 1.0, TypeError, "layer_index"),
    ((8, 8, 1), 0, ValueError, "input shape"),
])
def test_plot_feature_maps_bad_inputs(image_shape, layer_index, error, message):
    with pytest.raises(error, match=message):
        plotting.plot_feature_maps(small_cnn(), np.zeros(image_shape, "float32"), layer_index)
    with pytest.raises(TypeError, match="built model"):
        plotting.plot_feature_maps(layers.Dense(3), np.zeros(image_shape), 0)


def test_short_runs_plot_the_training_curves_batch_by_batch():
    from redes import Sequential, layers

    rng = np.random.default_rng(0)
    x, y = rng.random((100, 3)).astype("float32"), rng.integers(0, 2, 100)
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.2, verbose=0)
    assert history.batch_positions == [(e, b) for e in range(2) for b in range(5)]  # 80 samples: 5 batches
    assert len(history.batch_history["loss"]) == 10
    assert history.batch_history["loss"][4] == history.history["loss"][0]  # the epoch's running mean at its end
    fig = plotting.plot_history(history)
    train, validation = fig.axes[0].lines
    np.testing.assert_allclose(train.get_xdata(), [e + (b + 1) / 5 for e in range(2) for b in range(5)])
    assert train.get_label() == "train (running mean, per batch)" and list(validation.get_xdata()) == [1, 2]
    epoch_only = plotting.plot_history(history, per_batch=False)
    assert list(epoch_only.axes[0].lines[0].get_xdata()) == [1, 2]
    long_run = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert len(plotting.plot_history(long_run).axes[0].lines[0].get_xdata()) == 5  # 'auto': per epoch from 5 on
    with pytest.raises(ValueError, match="per_batch"):
        plotting.plot_history(history, per_batch="yes")
