import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, numerical_gradient, relative_error
from tolerances import CLIP_BOUND_RTOL, tolerance
from redes import activations, losses

GRADCHECK_TOLERANCE = 1e-6
N, K = 5, 4


def rng(seed=0):
    return np.random.default_rng(seed)


def one_hot(labels, classes=K):
    return np.eye(classes)[labels]


def probabilities(shape, seed=0):
    """Softmax of random logits: rows that sum to 1, away from the clip edges."""
    return activations.softmax(rng(seed).standard_normal(shape))


def saturated(p):
    """Put exact 0s and 1s in the first rows: clipped entries in both directions."""
    p = p.copy()
    rows = p.reshape(-1, p.shape[-1])  # a view
    rows[:2] = 0.0
    rows[0, 0] = rows[1, -1] = 1.0
    return p


# Each case: (loss factory, y_true, y_pred, the same loss in Keras as (class name, kwargs)).
def cases():
    labels = rng(1).integers(0, K, N)
    labels[0] = 1  # the row saturated on class 0 is wrong: clipped at 1e-7
    y_binary = rng(2).integers(0, 2, (N, K)).astype(float)
    soft = probabilities((N, K), seed=3)
    p = probabilities((N, K), seed=4)
    z = 3 * rng(5).standard_normal((N, K))
    z[0, :2] = 0.0
    z[1, :2] = (40.0, -40.0)
    images_p, images_z = probabilities((2, 3, 2, K), seed=6), rng(7).standard_normal((2, 3, 2, K))
    image_labels = rng(8).integers(0, K, (2, 3, 2))
    uniform = rng(9).uniform(0.05, 0.95, (N, K))
    return {
        "mse": (losses.MeanSquaredError, y_binary, rng(10).standard_normal((N, K)), ("MeanSquaredError", {})),
        "mse_rank1_targets": (losses.MeanSquaredError, rng(11).standard_normal(N), rng(12).standard_normal((N, 1)),
                              ("MeanSquaredError", {})),
        "mae": (losses.MeanAbsoluteError, y_binary, rng(13).standard_normal((N, K)), ("MeanAbsoluteError", {})),
        "bce": (losses.BinaryCrossentropy, y_binary, uniform, ("BinaryCrossentropy", {})),
        "bce_saturated": (losses.BinaryCrossentropy, y_binary, saturated(uniform), ("BinaryCrossentropy", {})),
        "bce_smoothing": (lambda: losses.BinaryCrossentropy(label_smoothing=0.2), y_binary, uniform,
                          ("BinaryCrossentropy", {"label_smoothing": 0.2})),
        "bce_logits": (lambda: losses.BinaryCrossentropy(from_logits=True), y_binary, z,
                       ("BinaryCrossentropy", {"from_logits": True})),
        "cce": (losses.CategoricalCrossentropy, one_hot(labels), p, ("CategoricalCrossentropy", {})),
        "cce_soft_targets": (losses.CategoricalCrossentropy, soft, p, ("CategoricalCrossentropy", {})),
        "cce_unnormalized": (losses.CategoricalCrossentropy, one_hot(labels), 2 * uniform,
                             ("CategoricalCrossentropy", {})),
        "cce_saturated": (losses.CategoricalCrossentropy, one_hot(labels), saturated(p),
                          ("CategoricalCrossentropy", {})),
        "cce_smoothing": (lambda: losses.CategoricalCrossentropy(label_smoothing=0.1), one_hot(labels), p,
                          ("CategoricalCrossentropy", {"label_smoothing": 0.1})),
        "cce_logits": (lambda: losses.CategoricalCrossentropy(from_logits=True), soft, z,
                       ("CategoricalCrossentropy", {"from_logits": True})),
        "cce_images": (losses.CategoricalCrossentropy, one_hot(image_labels), images_p, ("CategoricalCrossentropy", {})),
        "scce": (losses.SparseCategoricalCrossentropy, labels, p, ("SparseCategoricalCrossentropy", {})),
        "scce_column_labels": (losses.SparseCategoricalCrossentropy, labels[:, None], p,
                               ("SparseCategoricalCrossentropy", {})),
        "scce_float_labels": (losses.SparseCategoricalCrossentropy, labels.astype(float), p,
                              ("SparseCategoricalCrossentropy", {})),
        "scce_unnormalized": (losses.SparseCategoricalCrossentropy, labels, uniform,
                              ("SparseCategoricalCrossentropy", {})),
        "scce_saturated": (losses.SparseCategoricalCrossentropy, labels, saturated(p),
                           ("SparseCategoricalCrossentropy", {})),
        "scce_logits": (lambda: losses.SparseCategoricalCrossentropy(from_logits=True), labels, z,
                        ("SparseCategoricalCrossentropy", {"from_logits": True})),
        "scce_images_logits": (lambda: losses.SparseCategoricalCrossentropy(from_logits=True), image_labels, images_z,
                               ("SparseCategoricalCrossentropy", {"from_logits": True})),
    }


CASES = cases()


@pytest.mark.parametrize("case", [name for name in CASES if "saturated" not in name])
def test_gradient_matches_central_differences(case):
    factory, y_true, y_pred, _ = CASES[case]
    loss = factory()
    y_pred = y_pred.copy()
    analytic = loss.gradient(y_true, y_pred)
    numeric = numerical_gradient(lambda: loss(y_true, y_pred), y_pred)
    error = relative_error(analytic, numeric)
    assert error < GRADCHECK_TOLERANCE, f"{case}: relative error {error:.2e}"


@pytest.mark.parametrize("case", ["bce", "cce", "cce_soft_targets", "cce_images", "scce", "scce_column_labels"])
def test_fused_logits_path_matches_central_differences(case):
    factory, y_true, _, _ = CASES[case]
    loss = factory()
    logits = rng(20).standard_normal(CASES[case][2].shape)
    analytic = loss.gradient_from_logits(y_true, logits)
    numeric = numerical_gradient(lambda: loss.value_from_logits(y_true, logits), logits)
    assert relative_error(analytic, numeric) < GRADCHECK_TOLERANCE


def tf_loss_and_gradient(tf, keras_spec, y_true, y_pred, dtype):
    class_name, kwargs = keras_spec
    loss = getattr(tf.keras.losses, class_name)(**kwargs, dtype=dtype)
    y_pred = tf.constant(y_pred, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        value = loss(tf.constant(y_true), y_pred)
    return float(value), tape.gradient(value, y_pred).numpy()


def kind(case: str) -> str:
    """How a loss case is fed, as the parity report groups it."""
    if "saturated" in case:
        return "probabilities with exact 0 and 1"
    return "from_logits" if "logits" in case else "probabilities"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_tensorflow(case, dtype):
    tf = import_tensorflow()
    factory, y_true, y_pred, keras_spec = CASES[case]
    y_pred = y_pred.astype(dtype)
    loss = factory()
    value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    tf_value, tf_grad = tf_loss_and_gradient(tf, keras_spec, y_true, y_pred, dtype)
    assert isinstance(value, float) and np.isfinite(value)
    assert grad.dtype == dtype and grad.shape == y_pred.shape and np.isfinite(grad).all()
    what = f"{keras_spec[0]}, {kind(case)}"
    assert_parity(f"{what}: value", dtype, value, tf_value, tolerance(dtype))
    assert_parity(f"{what}: gradient wrt y_pred", dtype, grad, tf_grad, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["bce", "cce", "cce_soft_targets", "cce_smoothing", "scce", "scce_column_labels",
                                  "scce_images_logits"])
def test_fused_path_matches_tensorflow_logits_loss(case, dtype):
    tf = import_tensorflow()
    factory, y_true, y_pred, (class_name, kwargs) = CASES[case]
    loss = factory()
    logits = (4 * rng(21).standard_normal(y_pred.shape)).astype(dtype)
    logits.reshape(-1, logits.shape[-1])[0, 0] = 30.0  # a saturated softmax / sigmoid
    value = loss.value_from_logits(y_true, logits)
    grad = loss.gradient_from_logits(y_true, logits)
    tf_value, tf_grad = tf_loss_and_gradient(tf, (class_name, {**kwargs, "from_logits": True}), y_true, logits, dtype)
    rtol = tolerance(dtype)
    what = f"{class_name}, redes' fused softmax/sigmoid path against Keras from_logits"
    assert_parity(f"{what}: value", dtype, value, tf_value, rtol)
    assert grad.dtype == dtype
    assert_parity(f"{what}: gradient wrt logits", dtype, grad, tf_grad, rtol)
    # The closed forms: (softmax(z) − y) / M and (sigmoid(z) − y) / (N·K).
    y = loss._convert_targets(np.asarray(y_true), logits)
    if loss.output_activation == "sigmoid":
        expected = (activations.sigmoid(logits) - y) / logits.size
    else:
        target = y if y.shape == logits.shape else one_hot(y).reshape(logits.shape)
        expected = (activations.softmax(logits) - target) / (logits.size // K)
    assert relative_error(grad, expected) < rtol


@pytest.mark.parametrize("factory", [losses.BinaryCrossentropy, losses.CategoricalCrossentropy,
                                     losses.SparseCategoricalCrossentropy])
def test_from_logits_reuses_the_fused_functions(factory):
    y_true = CASES[{"BinaryCrossentropy": "bce", "CategoricalCrossentropy": "cce",
                    "SparseCategoricalCrossentropy": "scce"}[factory.__name__]][1]
    logits = rng(22).standard_normal((N, K))
    fused, from_logits = factory(), factory(from_logits=True)
    assert from_logits(y_true, logits) == fused.value_from_logits(y_true, logits)
    np.testing.assert_array_equal(from_logits.gradient(y_true, logits), fused.gradient_from_logits(y_true, logits))
    assert fused.output_activation == ("sigmoid" if factory is losses.BinaryCrossentropy else "softmax")


def test_saturated_probabilities_give_finite_clipped_values():
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype="float32")
    loss = losses.SparseCategoricalCrossentropy()
    value, grad = loss([1, 1], p), loss.gradient([1, 1], p)
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value == pytest.approx((-np.log(1e-7) + 0.0) / 2, rel=1e-5)
    np.testing.assert_array_equal(grad, 0.0)  # every entry was clipped


def test_dtype_is_kept_and_targets_are_cast():
    p = probabilities((N, K)).astype("float32")
    for loss, y in [(losses.MeanSquaredError(), np.ones((N, K), dtype=int)),
                    (losses.CategoricalCrossentropy(), one_hot(np.arange(N) % K)),
                    (losses.SparseCategoricalCrossentropy(), np.arange(N) % K)]:
        assert loss.gradient(y, p).dtype == np.float32
        assert type(loss(y, p)) is float


@pytest.mark.parametrize("loss,y_true,y_pred,match", [
    (losses.MeanSquaredError(), np.zeros((3, 2)), np.zeros((4, 2)), r"same batch size.*\(3, 2\).*\(4, 2\)"),
    (losses.MeanSquaredError(), np.zeros((3, 5)), np.zeros((3, 2)), r"shape of `y_pred`, \(3, 2\).*\(3, 5\)"),
    (losses.BinaryCrossentropy(), np.zeros((3, 2, 2)), np.zeros((3, 2)), r"\(3, 2\).*\(3, 2, 2\)"),
    (losses.CategoricalCrossentropy(), np.zeros((3, 5)), np.ones((3, 4)), r"4 classes.*\(3, 5\).*\(3, 4\)"),
    (losses.CategoricalCrossentropy(), np.zeros(3), np.ones((3, 4)), r"sparse_categorical_crossentropy"),
    (losses.SparseCategoricalCrossentropy(), np.zeros((3, 4)), np.ones((3, 4)), r"\(3,\).*categorical_crossentropy"),
    (losses.SparseCategoricalCrossentropy(), np.array([0, 4, 1]), np.ones((3, 4)), r"\[0, 4\).*label 4"),
    (losses.SparseCategoricalCrossentropy(), np.array([0, -1, 1]), np.ones((3, 4)), r"\[0, 4\).*label -1"),
    (losses.SparseCategoricalCrossentropy(), np.array([0, 1.5, 1]), np.ones((3, 4)), r"\[0, 4\).*non-integer.*1\.5"),
    (losses.SparseCategoricalCrossentropy(), np.array([0, 1]), np.ones((3, 4)), r"same batch size"),
    (losses.SparseCategoricalCrossentropy(), np.array([0, 1, 2]), np.ones(3), r"\(batch, \.\.\., classes\)"),
    (losses.CategoricalCrossentropy(), np.eye(2), np.array([[0.5, 0.5], [0.0, 0.0]]), r"rows sum.*from_logits"),
])
def test_bad_targets_raise_clear_errors(loss, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        loss(y_true, y_pred)
    with pytest.raises(ValueError, match=match):
        loss.gradient(y_true, y_pred)


def test_check_targets_and_type_errors():
    loss = losses.SparseCategoricalCrossentropy()
    loss.check_targets(np.array([0, 2]), (2, 3))
    with pytest.raises(ValueError, match=r"\[0, 3\).*label 3"):
        loss.check_targets(np.array([0, 3]), (2, 3))
    with pytest.raises(TypeError, match="y_true"):
        loss(np.array(["a", "b"]), np.ones((2, 3)))
    with pytest.raises(ValueError, match="batch axis"):
        losses.MeanSquaredError()(1.0, np.ones(1))


@pytest.mark.parametrize("name,cls", [
    ("mean_squared_error", losses.MeanSquaredError), ("mse", losses.MeanSquaredError),
    ("mean_absolute_error", losses.MeanAbsoluteError), ("mae", losses.MeanAbsoluteError),
    ("binary_crossentropy", losses.BinaryCrossentropy), ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_by_name(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls and loss.name == cls.default_name
    assert type(loss)(**loss.get_config()).get_config() == loss.get_config()


def test_get_passes_losses_through_and_rejects_the_rest():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, name="cce")
    assert losses.get(loss) is loss
    assert loss.get_config() == {"name": "cce", "from_logits": True, "label_smoothing": 0.1}
    with pytest.raises(ValueError, match="msee.*mean_squared_error.*sparse_categorical_crossentropy"):
        losses.get("msee")
    with pytest.raises(TypeError, match="loss"):
        losses.get(3)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"from_logits": "yes"}, TypeError, "from_logits"),
    ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
    ({"name": ""}, ValueError, "name"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        losses.CategoricalCrossentropy(**kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["bce", "scce", "cce"])
def test_clip_bounds_pass_the_gradient_as_tensorflow(case, dtype):
    tf = import_tensorflow()
    factory, _, _, keras_spec = CASES[case]
    low, high = np.array([1e-7, 1 - 1e-7], dtype=dtype)
    y_pred = np.array([[low, high, 0.0], [0.3, 0.3, 0.4]], dtype=dtype)
    y_true = {"bce": np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), "scce": np.array([0, 1]),
              "cce": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])}[case]
    loss = factory()
    grad = loss.gradient(y_true, y_pred)
    tf_value, tf_grad = tf_loss_and_gradient(tf, keras_spec, y_true, y_pred, dtype)
    assert grad[0, 0] != 0  # exactly at the lower bound: not clipped
    what = f"{keras_spec[0]}, probabilities exactly at the clip bounds 1e-7 and 1 − 1e-7"
    assert_parity(f"{what}: value", dtype, loss(y_true, y_pred), tf_value, CLIP_BOUND_RTOL)
    assert_parity(f"{what}: gradient wrt y_pred", dtype, grad, tf_grad, CLIP_BOUND_RTOL)


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "categorical_crossentropy", "binary_crossentropy",
                                  "kl_divergence", "log_cosh"])
def test_value_and_gradient_equals_the_two_calls(name):
    loss = losses.get(name)
    rng = np.random.default_rng(3)
    y_pred = rng.uniform(0.05, 0.95, (6, 4))
    y_true = rng.uniform(0, 1, (6, 4)).round()
    value, grad = loss.value_and_gradient(y_true, y_pred)
    assert value == loss(y_true, y_pred)
    np.testing.assert_array_equal(grad, loss.gradient(y_true, y_pred))
    checked_value, checked_grad = loss.value_and_gradient(y_true, y_pred, checked=True)
    assert checked_value == value and np.array_equal(checked_grad, grad)
    assert loss.value_and_gradient(y_true, y_pred, with_gradient=False)[1] is None


def test_value_and_gradient_from_logits_equals_the_two_calls():
    loss = losses.SparseCategoricalCrossentropy()
    z, labels = np.random.default_rng(4).standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    value, grad = loss.value_and_gradient_from_logits(labels, z)
    assert value == loss.value_from_logits(labels, z)
    np.testing.assert_array_equal(grad, loss.gradient_from_logits(labels, z))


def test_a_loss_that_redefines_call_and_gradient_is_used_as_it_is():
    class Doubled(losses.MeanSquaredError):
        def __call__(self, y_true, y_pred):
            return 2 * super().__call__(y_true, y_pred)

        def gradient(self, y_true, y_pred):
            return 2 * super().gradient(y_true, y_pred)

    y_true, y_pred = np.ones((2, 1)), np.zeros((2, 1))
    value, grad = Doubled().value_and_gradient(y_true, y_pred, checked=True)
    assert value == 2.0 and np.array_equal(grad, -2 * np.ones((2, 1)))
