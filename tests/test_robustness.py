"""Faults during training (NaN loss, Ctrl-C), determinism, memory on large data, bad inputs, fuzzing."""

import os
import signal
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import redes
from redes import Sequential, callbacks, layers, losses, optimizers
from redes.models.model import NonFiniteError


def mlp(features=4, classes=3, dropout=0.0):
    stack = [layers.Input((features,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    return Sequential([*stack, layers.Dense(classes, activation="softmax")])


def data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)).astype("float32"), rng.integers(0, classes, n)


class Snapshots(callbacks.Callback):
    """Keeps the weights after every step, and can act at one (epoch, step)."""

    def __init__(self, action=None, at=(None, None)):
        super().__init__()
        self.action, self.at, self.after, self.epoch = action, at, [], None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at and self.action == "sigint":
            os.kill(os.getpid(), signal.SIGINT)

    def on_train_batch_end(self, batch, logs=None):
        self.after.append(self.model.get_weights())
        if (self.epoch, batch) == self.at and self.action == "raise":
            raise KeyboardInterrupt


# ---------------------------------------------------------------------------------- NaN loss
class NaNAfter(losses.MeanSquaredError):
    """MSE that returns NaN from its ``calls``-th call on."""

    def __init__(self, calls):
        super().__init__()
        self.calls, self.count = calls, 0

    def __call__(self, y_true, y_pred):
        self.count += 1
        return float("nan") if self.count >= self.calls else super().__call__(y_true, y_pred)


def test_nan_loss_stops_training_keeping_the_weights_from_before():
    x, y = data()
    model = Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss=NaNAfter(calls=11))  # 4 steps per epoch: epoch 3, step 3
    snapshots = Snapshots()
    with pytest.warns(RuntimeWarning, match=r"stopped at epoch 3, step 3/4: the loss is nan.*before this step"):
        history = model.fit(x, y[:, None].astype("float32"), batch_size=16, epochs=5, callbacks=[snapshots],
                            verbose=0)
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2 and model.stop_training
    assert model.optimizer.iterations == 10 and len(snapshots.after) == 10
    for kept, current in zip(snapshots.after[-1], model.get_weights()):
        np.testing.assert_array_equal(kept, current)
    assert model.epochs_completed == 2


def test_diverging_training_stops_with_finite_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype("float32")
    model = Sequential([layers.Input((3,)), layers.Dense(8), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(50.0), loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow warnings
        with pytest.warns(RuntimeWarning, match=r"Training stopped at epoch \d+, step \d+/8"):
            model.fit(x, x.sum(axis=1) * 100, batch_size=8, epochs=50, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert np.isfinite(model.predict(x)).all()


def test_non_finite_gradient_is_not_applied(monkeypatch):
    x, y = data(n=8)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    dense = model.layers[0]
    original = type(dense).backward

    def poisoned(self, grad):
        result = original(self, grad)
        self._gradients["kernel"] = np.full_like(self.kernel, np.inf)
        return result

    monkeypatch.setattr(type(dense), "backward", poisoned)
    with pytest.raises(NonFiniteError, match="gradient holds NaN or infinite"):
        model.train_on_batch(x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


# ---------------------------------------------------------------------------------- Ctrl-C
def test_keyboard_interrupt_from_a_callback_keeps_completed_epochs():
    x, y = data()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    snapshots = Snapshots("raise", at=(1, 2))
    with pytest.warns(RuntimeWarning, match=r"interrupted \(KeyboardInterrupt\) at epoch 2, step 3/4"):
        history = model.fit(x, y, batch_size=16, epochs=4, callbacks=[snapshots], verbose=0)
    assert history.epoch == [0] and set(history.history) == {"loss", "accuracy"} and model.history is history
    assert model.optimizer.iterations == 7  # the interrupted step itself completed
    assert model.predict(x).shape == (64, 3) and np.isfinite(model.evaluate(x, y, verbose=0)).all()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # still trainable
    assert model.optimizer.iterations == 11


def test_sigint_during_a_step_stops_after_that_step():
    x, y = data()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    snapshots = Snapshots("sigint", at=(2, 1))
    with pytest.warns(RuntimeWarning, match="interrupted.*epoch 3, step 2/4"):
        history = model.fit(x, y, batch_size=16, epochs=5, callbacks=[snapshots], verbose=0)
    assert len(history.history["loss"]) == 2 and model.optimizer.iterations == 10
    for a, b in zip(snapshots.after[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored


def test_keyboard_interrupt_inside_train_step(monkeypatch):
    x, y = data()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    original, calls = type(model).train_step, []

    def interrupted(self, xb, yb):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, xb, yb)

    monkeypatch.setattr(type(model), "train_step", interrupted)
    with pytest.warns(RuntimeWarning, match="interrupted.*epoch 1, step 2/4"):
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history == {} and model.optimizer.iterations == 5
    assert np.isfinite(model.predict(x)).all()


# ---------------------------------------------------------------------------------- determinism
def train_once(seed):
    redes.utils.set_random_seed(seed)
    model = mlp(dropout=0.5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data(), batch_size=8, epochs=2, verbose=0)
    return model.get_weights()


def test_same_seed_gives_identical_training():
    first, second, other = train_once(3), train_once(3), train_once(4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    redes.utils.set_random_seed(5)
    shuffle, mask = redes.backend.rng().permutation(10), layers.Dropout(0.5)(np.ones((1, 20)), training=True)
    redes.utils.set_random_seed(5)
    np.testing.assert_array_equal(shuffle, redes.backend.rng().permutation(10))
    np.testing.assert_array_equal(mask, layers.Dropout(0.5)(np.ones((1, 20)), training=True))


# ---------------------------------------------------------------------------------- large data
def test_fit_and_predict_memory_stays_far_below_the_data_size():
    x = np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    y = np.zeros(60000, dtype=np.int64)
    model = Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    tracemalloc.start()
    try:
        model.fit(x, y, batch_size=500, epochs=1, verbose=0)
        _, fit_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        predictions = model.predict(x, batch_size=500)
        _, predict_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.nbytes == 188_160_000
    assert fit_peak < x.nbytes / 20, fit_peak  # per epoch: the permutation and one batch, never a copy
    assert predict_peak < predictions.nbytes + x.nbytes / 50, predict_peak


# ---------------------------------------------------------------------------------- bad inputs
@pytest.fixture
def compiled():
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X, Y = data(n=6)


@pytest.mark.parametrize("call,error,match", [
    (lambda m: m.fit(X.astype(complex), Y, verbose=0), TypeError, r"`x` must hold real numbers.*complex128"),
    (lambda m: m.fit(X.astype(object), Y, verbose=0), TypeError, "`x` must hold real numbers.*object"),
    (lambda m: m.fit(X, Y.astype(object), verbose=0), TypeError, "`y` must hold real numbers.*object"),
    (lambda m: m.fit(X, Y.astype(str), verbose=0), TypeError, "`y` must hold real numbers"),
    (lambda m: m.fit(np.where(X > 1, np.inf, X), Y, verbose=0), ValueError, "`x` contains .* NaN or infinite"),
    (lambda m: m.fit(X, np.where(Y > 1, np.nan, Y), verbose=0), ValueError, "`y` contains .* NaN or infinite"),
    (lambda m: m.fit(X.astype("float64") * 1e300, Y, verbose=0), ValueError, "beyond the largest float32"),
    (lambda m: m.fit([[1.0, 2.0], [3.0]], [0, 1], verbose=0), ValueError, "`x` must be a rectangular array"),
    (lambda m: m.fit(X, Y[:0], verbose=0), ValueError, "`y` is empty"),
    (lambda m: m.fit(X, -Y - 1, verbose=0), ValueError, r"labels must be integers in \[0, 3\).*-"),
    (lambda m: m.fit(X, Y + 0.5, verbose=0), ValueError, "non-integer label"),
    (lambda m: m.fit(X, np.eye(3)[Y], verbose=0), ValueError, "integer labels of shape"),
    (lambda m: m.fit(X, Y, batch_size=-2, verbose=0), ValueError, "`batch_size` must be a positive integer"),
    (lambda m: m.fit(X, Y, batch_size=2.0, verbose=0), TypeError, "batch_size=2.0"),
    (lambda m: m.fit(X, Y, epochs=2.5, verbose=0), TypeError, "`epochs` must be a non-negative integer"),
    (lambda m: m.fit(X, Y, validation_split="0.1", verbose=0), TypeError, "`validation_split` must be a number"),
    (lambda m: m.fit(X, Y, shuffle="yes", verbose=0), TypeError, "`shuffle` must be True or False"),
    (lambda m: m.fit(X, Y, validation_data=(X,), verbose=0), ValueError, "validation_data"),
    (lambda m: m.fit(X, Y, validation_data=(X[:, :2], Y), verbose=0), ValueError, "x_val"),
    (lambda m: m.evaluate(X, Y[:3], verbose=0), ValueError, "same number of samples"),
    (lambda m: m.evaluate(X, Y, batch_size=0, verbose=0), ValueError, "batch_size"),
    (lambda m: m.predict(X[:, :3]), ValueError, r"expects input of shape \(None, 4\)"),
    (lambda m: m.predict(X[:0]), ValueError, "`x` is empty"),
    (lambda m: m.predict(X[0]), ValueError, "`x` must have shape"),
    (lambda m: m.predict(np.float32(1.0)), ValueError, "batch axis"),
    (lambda m: m.predict(X, batch_size=-1), ValueError, "batch_size"),
    (lambda m: m.predict(X.astype("datetime64[s]")), TypeError, "real numbers"),
    (lambda m: m.train_on_batch(X, Y[:2]), ValueError, "same number of samples"),
])
def test_bad_inputs_raise_at_the_call(compiled, call, error, match):
    before = compiled.get_weights()
    with pytest.raises(error, match=match):
        call(compiled)
    assert all(np.array_equal(a, b) for a, b in zip(before, compiled.get_weights()))


@pytest.mark.parametrize("make,listed", [
    (lambda: layers.Dense(2, activation="relux"), "Valid names: .*relu.*softmax"),
    (lambda: layers.Dense(2, kernel_initializer="glorot"), "Valid names: .*glorot_uniform.*he_normal"),
    (lambda: mlp().compile(optimizer="adamw2", loss="mse"), "Valid names: .*adam.*sgd"),
    (lambda: mlp().compile(optimizer="adam", loss="msee"), "Valid names: .*mse.*sparse_categorical_crossentropy"),
    (lambda: mlp().compile(optimizer="adam", loss="mse", metrics=["acc2"]), "Valid names: .*accuracy"),
    (lambda: layers.Dense(2, kernel_regularizer="l3"), "Valid names: l1, l1_l2, l2"),
])
def test_unknown_names_list_the_valid_ones(make, listed):
    with pytest.raises(ValueError, match="Unknown .*" + listed):
        make()


def test_untouched_model_and_wrong_types():
    with pytest.raises(TypeError, match="optimizer"):
        mlp().compile(optimizer=3, loss="mse")
    with pytest.raises(TypeError, match="loss"):
        mlp().compile(optimizer="adam", loss=3)
    with pytest.raises(TypeError, match="metrics"):
        mlp().compile(optimizer="adam", loss="mse", metrics="accuracy")
    with pytest.raises(RuntimeError, match="compile"):
        mlp().evaluate(X, Y)


# ---------------------------------------------------------------------------------- fuzzing
FUZZ = settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
LAYERS = [
    lambda: layers.Dense(3, activation="relu"), lambda: layers.Dense(2, activation="softmax", use_bias=False),
    lambda: layers.Conv2D(2, 2, activation="tanh"), lambda: layers.Conv2D(2, 3, strides=2, padding="same"),
    lambda: layers.MaxPooling2D(2), lambda: layers.AveragePooling2D(2, padding="same"),
    lambda: layers.GlobalMaxPooling2D(), lambda: layers.GlobalAveragePooling2D(keepdims=True),
    lambda: layers.BatchNormalization(), lambda: layers.LayerNormalization(), lambda: layers.Dropout(0.5),
    lambda: layers.Flatten(), lambda: layers.Reshape((-1,)), lambda: layers.Activation("gelu"),
    lambda: layers.ReLU(), lambda: layers.LeakyReLU(), lambda: layers.ELU(), lambda: layers.Softmax(),
    lambda: layers.Activation("sigmoid"), lambda: layers.Activation("softplus"), lambda: layers.Input((2, 2)),
]
DTYPES = ["float16", "float32", "float64", "int8", "int64", "uint8", "bool"]
REAL_DTYPES = st.sampled_from(DTYPES)
SHAPES = hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=5)


def real_arrays(shape=SHAPES, bound=100.0, dtypes=REAL_DTYPES):
    """Arrays of a random real dtype; floats finite and within ``bound`` (and float16's range)."""
    def arrays(dtype):
        if np.dtype(dtype).kind in "iub":
            return hnp.arrays(dtype, shape)
        limit = min(bound, 6e4) if dtype == "float16" else bound
        return hnp.arrays(dtype, shape, elements=st.floats(-limit, limit, width=np.dtype(dtype).itemsize * 8))
    return dtypes.flatmap(arrays)


@FUZZ
@given(make=st.sampled_from(LAYERS), x=real_arrays(), training=st.booleans())
def test_fuzz_layers_give_a_finite_result_or_a_clear_error(make, x, training):
    layer = make()
    try:
        y = layer(x, training=training)
    except (ValueError, TypeError) as error:
        assert str(error)
        event(f"{type(error).__name__}: {str(error)[:40]}")
        return
    event("result")
    assert y.shape == (len(x),) + tuple(layer.output_shape) and y.dtype == layer.dtype
    assert np.isfinite(y).all()
    grad = layer.backward(redes.Tensor4D.from_natural(np.ones_like(y)))
    assert grad.data.size == x.size and np.isfinite(grad.data).all()


LOSSES = [losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.BinaryCrossentropy(),
          losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), losses.CategoricalCrossentropy(),
          losses.CategoricalCrossentropy(from_logits=True), losses.SparseCategoricalCrossentropy(),
          losses.SparseCategoricalCrossentropy(from_logits=True)]


@FUZZ
@given(loss=st.sampled_from(LOSSES),
       y_pred=real_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
       y_true=real_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), bound=3.0), probabilities=st.booleans())
def test_fuzz_losses_give_a_finite_value_or_a_clear_error(loss, y_pred, y_true, probabilities):
    if probabilities:  # in (0, 1); other values must give a finite result or a clear error
        y_pred = (np.abs(y_pred) + 1) / (np.abs(y_pred) + 2)
    try:
        value = loss(y_true, y_pred)
        grad = loss.gradient(y_true, y_pred)
    except (ValueError, TypeError) as error:
        assert str(error)
        event(f"{type(error).__name__}: {str(error)[:40]}")
        return
    event("result")
    assert isinstance(value, float) and np.isfinite(value)
    assert grad.shape == y_pred.shape and np.isfinite(grad).all()


@pytest.mark.parametrize("loss", [losses.SparseCategoricalCrossentropy(), losses.BinaryCrossentropy()])
def test_float16_saturated_probabilities_give_finite_loss_and_gradient(loss):
    """1/1e-7 overflows float16 (max 65504): float16 clips at its machine epsilon instead."""
    y_true, y_pred = np.array([0, 1]), np.array([[0.0, 1.0], [1.0, 0.0]], "float16")
    if isinstance(loss, losses.BinaryCrossentropy):
        y_true = np.array([[1.0, 0.0], [0.0, 1.0]], "float16")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    assert grad.dtype == np.float16 and np.isfinite(grad).all()
    assert np.isclose(value, -np.log(np.finfo(np.float16).eps), rtol=1e-3)


def test_float16_gradient_that_overflows_is_a_clear_error():
    """y_true / ε with y_true = 64 and ε = 2⁻¹⁰ is 65,536, beyond float16: an error, not inf or NaN."""
    loss, y_true, y_pred = losses.BinaryCrossentropy(), np.array([[64, 64]], "int8"), np.zeros((1, 2), "float16")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for compute in (loss.gradient, loss.value_and_gradient):
            with pytest.raises(ValueError, match="overflows float16"):
                compute(y_true, y_pred)


ANY_ARRAYS = st.one_of(
    real_arrays(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5), bound=1e6),
    hnp.arrays(st.sampled_from(["float32", "float64"]), hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
    hnp.arrays(st.sampled_from(["complex64", "U3", "S2", "datetime64[s]"]), hnp.array_shapes(max_dims=3)),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=2), st.none()), max_size=4).map(
        lambda values: np.array(values, dtype=object)),
)


@st.composite
def mostly_valid_data(draw):
    """(x, y) that fit the fuzz model, in random dtypes and lengths, sometimes with one entry spoiled."""
    n = draw(st.integers(1, 9))
    x = draw(real_arrays(st.just((n, 4)), bound=1e3))
    y = draw(hnp.arrays(st.sampled_from(["int64", "uint8", "float32", "float64"]), (n,),
                        elements=st.integers(0, 2)))
    spoil = draw(st.sampled_from([None, "x", "y"]))
    if spoil == "x" and x.dtype.kind == "f":
        x.flat[draw(st.integers(0, x.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    elif spoil == "y":
        y = y.astype("float64")
        y[draw(st.integers(0, n - 1))] = draw(st.sampled_from([-1, 3, 0.5, np.nan, 1e9]))
    return x, y


@pytest.fixture(scope="module")
def fuzz_model():
    model = Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dropout(0.2),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@FUZZ
@given(xy=st.one_of(mostly_valid_data(), st.tuples(ANY_ARRAYS, ANY_ARRAYS)),
       method=st.sampled_from(["fit", "evaluate", "predict", "train_on_batch"]),
       batch_size=st.one_of(st.none(), st.integers(-2, 5)))
def test_fuzz_model_api_gives_a_correct_result_or_a_clear_error(fuzz_model, xy, method, batch_size):
    x, y = xy
    kwargs = {} if method == "train_on_batch" else {"batch_size": batch_size}
    if method in ("fit", "evaluate"):
        kwargs["verbose"] = 0
    args = (x,) if method == "predict" else (x, y)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a NaN loss or an overflow would be reported
            result = getattr(fuzz_model, method)(*args, **kwargs)
    except (ValueError, TypeError) as error:
        assert str(error)
        event(f"{type(error).__name__}: {str(error)[:40]}")
        return
    event("result")
    assert all(np.isfinite(w).all() for w in fuzz_model.get_weights())
    if method == "predict":
        assert result.shape == (len(x), 3) and np.isfinite(result).all()
    elif method == "fit":
        assert all(np.isfinite(v).all() for v in result.history.values())
    else:
        assert np.isfinite(result).all()
