"""Merge layers: forward values, float64 gradient checks, shape errors, configs."""

import numpy as np
import pytest

from helpers import GRADCHECK_TOLERANCE, numerical_gradient, relative_error
from redes import Model, Tensor4D, layers


def check_merge_gradients(layer, xs: list[np.ndarray], seed: int = 0) -> dict[str, float]:
    """Central differences in float64 for a layer with several inputs, with L = Σ y ⊙ R."""
    xs = [x.copy() for x in xs]

    def forward():
        return np.asarray(layer([Tensor4D(x) for x in xs]))

    upstream = np.random.default_rng(seed).standard_normal(forward().shape)
    forward()
    grads = layer.backward(Tensor4D(upstream.copy()))
    assert isinstance(grads, list) and len(grads) == len(xs)
    errors = {}
    for i, (x, grad) in enumerate(zip(xs, grads)):
        numeric = numerical_gradient(lambda: float((forward() * upstream).sum()), x)
        errors[f"input {i}"] = relative_error(np.asarray(grad), numeric)
    for name, error in errors.items():
        assert error < GRADCHECK_TOLERANCE, f"gradient of {name}: relative error {error:.2e}\n{errors}"
    return errors


def images(count: int, shape=(2, 3, 3, 4), seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(count)]


@pytest.mark.parametrize("make, count, expected", [
    (layers.Add, 3, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Subtract, 2, lambda xs: xs[0] - xs[1]),
    (layers.Multiply, 3, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, 3, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
])
def test_element_wise_merges_forward_and_gradients(make, count, expected):
    xs = images(count)
    xs[0][0, 0, 0, :2] = 0.0  # Multiply's gradient must not divide by a zero input
    layer = make(dtype="float64")
    np.testing.assert_allclose(layer(xs), expected(xs), rtol=1e-14)
    check_merge_gradients(layer, xs)


def test_multiply_gradient_with_a_zero_input_is_the_product_of_the_others():
    a, b = np.zeros((1, 3)), np.array([[1.0, 2.0, 3.0]])
    layer = layers.Multiply(dtype="float64")
    layer([a, b])
    grad_a, grad_b = layer.backward(Tensor4D.from_natural(np.ones((1, 3))))
    np.testing.assert_array_equal(np.asarray(grad_a).reshape(1, 3), b)
    np.testing.assert_array_equal(np.asarray(grad_b).reshape(1, 3), a)


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3, 3, 4), (2, 3, 3, 2)]),
    (3, [(2, 3, 3, 1), (2, 3, 3, 2), (2, 3, 3, 3)]),
    (1, [(2, 1, 3, 4), (2, 2, 3, 4)]),
    (-2, [(2, 3, 2, 4), (2, 3, 1, 4)]),
])
def test_concatenate_forward_and_gradients(axis, shapes):
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal(shape) for shape in shapes]
    layer = layers.Concatenate(axis=axis, dtype="float64")
    np.testing.assert_array_equal(layer(xs), np.concatenate(xs, axis=axis))
    check_merge_gradients(layer, xs)


def test_concatenate_uses_natural_axes_of_flat_and_sequence_data():
    a, b = np.ones((2, 3), "float32"), np.zeros((2, 5), "float32")
    assert layers.Concatenate()([a, b]).shape == (2, 8)
    assert layers.Concatenate(axis=1)([a, b]).shape == (2, 8)
    steps_a, steps_b = np.ones((2, 4, 3), "float32"), np.zeros((2, 2, 3), "float32")  # (batch, steps, features)
    joined = layers.Concatenate(axis=1)([steps_a, steps_b])
    np.testing.assert_array_equal(joined, np.concatenate([steps_a, steps_b], axis=1))


def test_merges_on_tensor4d_return_tensor4d():
    xs = [Tensor4D(x.astype("float32")) for x in images(2)]
    assert isinstance(layers.Add()(xs), Tensor4D)
    assert layers.Concatenate()(xs).shape == (2, 3, 3, 8)


@pytest.mark.parametrize("layer, shapes, match", [
    (layers.Add(), [(2, 3)], "at least 2 inputs"),
    (layers.Subtract(), [(2, 3)] * 3, "exactly 2 inputs"),
    (layers.Add(), [(2, 3), (2, 4)], "one shape"),
    (layers.Multiply(), [(2, 3, 3, 1), (2, 3, 3, 2)], "does not broadcast"),
    (layers.Concatenate(), [(2, 3), (2, 3, 1)], "one rank"),
    (layers.Concatenate(axis=1), [(2, 3, 3, 1), (2, 3, 4, 1)], "agree on every other axis"),
    (layers.Concatenate(axis=3), [(2, 3), (2, 3)], "feature axis"),
])
def test_bad_merges_raise(layer, shapes, match):
    with pytest.raises(ValueError, match=match):
        layer([np.zeros(shape, "float32") for shape in shapes])


@pytest.mark.parametrize("axis", [0, 1.5, True])
def test_concatenate_rejects_bad_axis(axis):
    with pytest.raises((TypeError, ValueError), match="axis"):
        layers.Concatenate(axis=axis)


def test_merge_called_on_one_array_or_none_raises():
    with pytest.raises(ValueError, match="list of at least 2"):
        layers.Add()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"list of at least 2 inputs. Received 0"):
        layers.Add()([])


def test_symbolic_shape_mismatch_names_the_layers():
    i = layers.Input((4, 4, 3))
    a = layers.Conv2D(8, 1, name="branch_a")(i)
    b = layers.Conv2D(6, 1, name="branch_b")(i)
    with pytest.raises(ValueError, match=r"Layer 'join' cannot take the output of 'branch_a' \(None, 4, 4, 8\), "
                                         r"'branch_b' \(None, 4, 4, 6\).*one shape"):
        layers.Add(name="join")([a, b])


def test_config_round_trip():
    layer = layers.Concatenate(axis=2, name="cat")
    rebuilt = layers.Concatenate.from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config() == {"name": "cat", "trainable": True, "dtype": "float32",
                                                           "axis": 2}
    assert layers.Add.from_config(layers.Add(name="plus").get_config()).name == "plus"


def test_functional_dot_is_the_layer():
    a, b = layers.Input((3, 4)), layers.Input((4,))
    y = layers.dot([a, b], axes=(2, 1), normalize=True, name="cosine")
    model = Model([a, b], y)
    layer = model.get_layer("cosine")
    assert isinstance(layer, layers.Dot) and layer.axes == (2, 1) and layer.normalize
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    expected = np.einsum("ntk,nk->nt", x1 / np.linalg.norm(x1, axis=2, keepdims=True),
                         x2 / np.linalg.norm(x2, axis=1, keepdims=True))
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_dot_rejects_mismatched_lengths_and_the_batch_axis():
    with pytest.raises(ValueError, match="axes"):
        layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="axes"):
        layers.Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
