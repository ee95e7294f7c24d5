"""The functional API: graphs of layer calls, Functional models, fan-out, shared layers, several inputs and outputs."""

import json

import numpy as np
import pytest

import redes
from helpers import GRADCHECK_TOLERANCE, assert_parity, import_tensorflow, numerical_gradient, relative_error
from tolerances import FLOAT32_MATMUL_RTOL, MULTISTEP_FLOAT32_RTOL, WEIGHTS_ATOL
from redes import Functional, Model, Sequential, Tensor4D, layers, losses, optimizers, regularizers
from redes.models.objectives import takes_logits


@pytest.fixture
def float64():
    previous = redes.floatx()
    redes.set_floatx("float64")
    yield
    redes.set_floatx(previous)


def check_model_gradients(model, xs: list[np.ndarray], training: bool = False, seed: int = 0) -> dict[str, float]:
    """Central differences in float64: dL/d(each input) and dL/dw, with L = Σₖ Σ yₖ ⊙ Rₖ + Σ penalties."""
    xs = [x.copy() for x in xs]

    def forward() -> list[np.ndarray]:
        out = model([Tensor4D(x) for x in xs] if len(xs) > 1 else Tensor4D(xs[0]), training=training)
        return [np.asarray(y) for y in (out if isinstance(out, list) else [out])]

    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(y.shape) for y in forward()]

    def loss() -> float:
        return sum(float((y * r).sum()) for y, r in zip(forward(), upstream)) + sum(model.losses)

    forward()
    grads = [Tensor4D(r.copy()) for r in upstream]
    input_grads = model.backward(grads if len(grads) > 1 else grads[0])
    input_grads = input_grads if isinstance(input_grads, list) else [input_grads]
    weight_grads = [np.array(g) for g in model.gradients]
    errors = {f"input {i}": relative_error(np.asarray(g), numerical_gradient(loss, x))
              for i, (g, x) in enumerate(zip(input_grads, xs))}
    for i, (weight, grad) in enumerate(zip(model.trainable_weights, weight_grads)):
        errors[f"weight {i} {weight.shape}"] = relative_error(grad, numerical_gradient(loss, weight))
    for name, error in errors.items():
        assert error < GRADCHECK_TOLERANCE, f"gradient of {name}: relative error {error:.2e}\n{errors}"
    return errors


def residual_block(x, filters: int, name: str):
    """conv-relu-conv, added to its input, then relu: the skip connection makes x fan out."""
    y = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv1")(x)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([x, y]))


# ------------------------------------------------------------------------------ building
def test_model_of_inputs_and_outputs_is_functional():
    i = layers.Input((4,))
    model = Model(i, layers.Dense(2)(layers.Dense(3)(i)))
    assert type(model) is Functional and isinstance(model, Model)
    assert isinstance(Sequential([layers.Input((4,)), layers.Dense(2)]), Model)
    assert isinstance(Model(inputs=i, outputs=layers.Dense(1)(i)), Functional)
    assert model.input_shape == (4,) and model.output_shape == (2,) and model.built
    assert [type(layer).__name__ for layer in model.layers] == ["Input", "Dense", "Dense"]
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_symbolic_tensors_carry_shape_dtype_and_node():
    i = layers.Input((6, 6, 1), name="pixels")
    conv = layers.Conv2D(4, 3, strides=2, name="conv")
    x = conv(i)
    assert isinstance(x, layers.SymbolicTensor)
    assert x.shape == (2, 2, 4) and x.dtype == "float32" and x.layer is conv
    assert x.node.inputs == (i.output,) and i.output.node.is_input and conv.built
    assert repr(x) == "<SymbolicTensor shape=(None, 2, 2, 4), dtype=float32, from layer 'conv'>"


def test_sequential_with_input_is_unchanged():
    model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), layers.Dense(3)])
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense"]
    assert model(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 3)


def test_layer_order_and_weights_follow_keras_depth_order():
    i = layers.Input((4,), name="x")
    a = layers.Dense(3, name="a")(i)
    b = layers.Dense(3, name="b")(a)
    c = layers.Dense(3, name="c")(i)  # a shallow branch, added after the deep one
    model = Model(i, layers.Add(name="sum")([b, c]))
    assert [layer.name for layer in model.layers] == ["x", "a", "b", "c", "sum"]
    assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (3, 3), (3,), (4, 3), (3,)]


def test_summary_shows_inbound_layers(capsys):
    i = layers.Input((4,), name="features")
    shared = layers.Dense(4, name="shared")
    x = shared(shared(i))
    model = Model(i, layers.Concatenate(name="join")([x, layers.Dense(2, name="side")(i)]))
    model.summary()
    lines = capsys.readouterr().out.splitlines()
    assert "Connected to" in lines[2]
    row = {line.split()[0]: line for line in lines if line and line.split()[0] in {"features", "shared", "join"}}
    assert row["features"].rstrip().endswith("-")
    assert row["shared"].rstrip().endswith("features")
    assert row["join"].rstrip().endswith("shared[1], side")
    assert any(line.strip() == "shared[0]" for line in lines)  # the second call of the shared layer


# ------------------------------------------------------------------------------ gradients
def test_residual_block_gradients_float64(float64):
    i = layers.Input((5, 5, 2))
    x = layers.Conv2D(3, 3, padding="same", activation="tanh")(i)
    y = layers.Conv2D(3, 3, padding="same")(x)
    s = layers.Activation("tanh")(layers.Add()([x, y]))  # x fans out to the conv and the skip
    c = layers.Concatenate()([s, layers.Conv2D(2, 1)(i)])  # so does the input
    model = Model(i, layers.Dense(4)(layers.GlobalAveragePooling2D()(c)))
    check_model_gradients(model, [np.random.default_rng(0).standard_normal((2, 5, 5, 2))])


def test_shared_layers_keep_each_call_and_add_up_their_gradients_float64(float64):
    i = layers.Input((4, 4, 3))
    conv = layers.Conv2D(3, 3, padding="same", activation="tanh")  # applied to its own output
    dense = layers.Dense(2, activation="sigmoid", kernel_regularizer=regularizers.L2(0.1))  # penalty counted once
    x = conv(conv(i))
    flat = layers.Flatten()
    out = layers.Multiply()([dense(flat(x)), dense(flat(i))])
    model = Model(i, out)
    assert len(model.layers) == 5 and model.count_params() == 3 * 3 * 3 * 3 + 3 + 48 * 2 + 2
    check_model_gradients(model, [np.random.default_rng(1).standard_normal((2, 4, 4, 3))])


def test_shared_nested_model_float64(float64):
    block = Sequential([layers.Dense(3, activation="tanh"), layers.Dense(3)])
    a, b = layers.Input((3,)), layers.Input((3,))
    model = Model([a, b], layers.Subtract()([block(a), block(block(b))]))
    rng = np.random.default_rng(2)
    check_model_gradients(model, [rng.standard_normal((3, 1, 1, 3)), rng.standard_normal((3, 1, 1, 3))])


def test_several_inputs_and_outputs_gradients_float64(float64):
    a, b = layers.Input((4,)), layers.Input((2, 2, 1))
    h = layers.Dense(3, activation="relu")(a)
    g = layers.Flatten()(b)
    both = layers.Concatenate()([h, g])
    first = layers.Dense(2)(both)
    second = layers.Dense(1)(layers.Average()([layers.Dense(3)(both), h]))
    model = Model([a, b], [first, second, h])  # h is an output and feeds other layers
    rng = np.random.default_rng(3)
    check_model_gradients(model, [rng.standard_normal((3, 1, 1, 4)), rng.standard_normal((3, 2, 2, 1))])


def test_unused_input_gets_a_zero_gradient():
    a, b = layers.Input((3,)), layers.Input((2,))
    model = Model([a, b], layers.Dense(1)(a))
    model([np.ones((2, 3), "float32"), np.ones((2, 2), "float32")])
    grad_a, grad_b = model.backward(np.ones((2, 1), "float32"))
    assert grad_a.shape == (2, 3) and grad_b.shape == (2, 2) and not grad_b.any()


def test_forward_frees_intermediate_values_and_backward_frees_the_call_caches():
    i = layers.Input((3,))
    dense = layers.Dense(3)
    model = Model(i, dense(dense(i)))
    model(np.ones((2, 3), "float32"))
    assert len(model._node_states) == 2  # one forward cache per call of the shared layer
    model.backward(np.ones((2, 3), "float32"))
    assert model._node_states == {}


# ------------------------------------------------------------------------------ errors
def test_disconnected_output_names_the_missing_input():
    a, b = layers.Input((3,), name="left"), layers.Input((3,), name="right")
    out = layers.Add(name="join")([layers.Dense(3)(a), layers.Dense(3)(b)])
    with pytest.raises(ValueError, match=r"Graph disconnected: output 'join' depends on Input 'right', "
                                         r"which is not in `inputs` \['left'\]"):
        Model(a, out)


def test_bad_endpoints_and_calls_raise():
    i = layers.Input((3,))
    hidden = layers.Dense(3, name="hidden")(i)
    with pytest.raises(ValueError, match=r"must be Input layers.*\['hidden'\]"):
        Model(hidden, layers.Dense(1)(hidden))
    with pytest.raises(TypeError, match="`outputs` must be a symbolic tensor"):
        Model(i, np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"Layer 'solo' \(Dense\) takes one tensor"):
        layers.Dense(2, name="solo")([hidden, hidden])
    with pytest.raises(TypeError, match="all symbolic tensors"):
        layers.Add()([hidden, np.zeros((2, 3))])
    shared = layers.Dense(2, name="shared")
    shared(i)
    with pytest.raises(ValueError, match=r"Layer 'shared' cannot take the output of 'input\w*' \(None, 5\).*"
                                         r"built for inputs of shape \(None, 3\)"):
        shared(layers.Input((5,)))
    with pytest.raises(ValueError, match="names must be unique"):
        Model(i, layers.Dense(1, name="twin")(layers.Dense(3, name="twin")(i)))


def test_multi_output_model_is_a_layer_with_several_outputs_in_a_graph():
    i = layers.Input((3,))
    inner = Model(i, [layers.Dense(1, name="first_head")(i), layers.Dense(2)(i)])
    j = layers.Input((3,))
    first, second = inner(j)
    assert first.shape == (1,) and second.shape == (2,) and (first.index, second.index) == (0, 1)
    outer = Model(j, layers.Concatenate()([first, second]))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    np.testing.assert_allclose(outer.predict(x), np.concatenate(inner.predict(x), axis=1), rtol=1e-6)
    only_second = Model(j, layers.Dense(1)(second))  # the inner model's first output unused: its gradient is None
    only_second.compile("sgd", "mse")
    only_second.fit(x, np.ones((5, 1), "float32"), verbose=0)
    assert not any(g.any() for g in inner.get_layer("first_head").gradients)  # zeros, not a stale gradient


def chain_config():
    i = layers.Input((4,), name="start")
    model = Model(i, layers.Dense(4, name="d2")(layers.Dense(4, name="d1")(i)))
    return json.loads(json.dumps(model.get_config()))


def test_config_with_a_cycle_names_the_layers():
    config = chain_config()
    names = [spec["config"]["name"] for spec in config["layers"]]
    config["inbound_nodes"][names.index("d1")] = [[["d2", 0]]]  # d1 <- d2 <- d1
    with pytest.raises(ValueError, match=r"layers \['d1', 'd2'\] wait on each other's outputs \(a cycle\)"):
        Functional.from_config(config)


def test_config_with_a_missing_reference_raises():
    config = chain_config()
    names = [spec["config"]["name"] for spec in config["layers"]]
    config["inbound_nodes"][names.index("d2")] = [[["d1", 1]]]
    with pytest.raises(ValueError, match="Layer 'd2' takes the output of call 1 of layer 'd1'"):
        Functional.from_config(config)


# ------------------------------------------------------------------------------ training
def two_headed_model():
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    shared = layers.Dense(8, activation="relu", name="shared")
    ha, hb = shared(layers.Dense(5, name="pa")(a)), shared(layers.Dense(5, name="pb")(b))
    cls = layers.Dense(3, activation="softmax", name="cls")(layers.Concatenate()([ha, hb]))
    reg = layers.Dense(1, name="reg")(layers.Subtract()([ha, hb]))
    return Model([a, b], [cls, reg])


def two_headed_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    xa, xb = rng.standard_normal((n, 4)).astype("float32"), rng.standard_normal((n, 3)).astype("float32")
    y_cls = (xa[:, 0] > 0).astype(int) + (xb[:, 0] > 0).astype(int)
    y_reg = (xa[:, 1] - xb[:, 1])[:, None].astype("float32")
    return [xa, xb], [y_cls, y_reg]


def test_several_inputs_and_outputs_train_with_weighted_losses():
    redes.set_random_seed(0)
    x, y = two_headed_data()
    model = two_headed_model()
    model.compile(optimizers.Adam(0.01), loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    history = model.fit(x, y, batch_size=32, epochs=30, validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "cls_loss", "reg_loss", "cls_accuracy",
                                     "val_loss", "val_cls_loss", "val_reg_loss", "val_cls_accuracy"]
    assert history.history["cls_accuracy"][-1] > 0.85 and history.history["reg_loss"][-1] < 0.1
    logs = model.evaluate(x, y, batch_size=len(y[0]), verbose=0, return_dict=True)
    probabilities, values = model.predict({"a": x[0], "b": x[1]})
    assert probabilities.shape == (240, 3) and values.shape == (240, 1)
    cls_loss = losses.SparseCategoricalCrossentropy()(y[0], probabilities)
    reg_loss = losses.MeanSquaredError()(y[1], values)
    assert logs["cls_loss"] == pytest.approx(cls_loss, rel=1e-5)
    assert logs["reg_loss"] == pytest.approx(reg_loss, rel=1e-5)
    assert logs["loss"] == pytest.approx(cls_loss + 0.5 * reg_loss, rel=1e-5)


def test_one_loss_for_every_output_and_list_forms():
    x, y = two_headed_data(n=64)
    model = two_headed_model()
    model.compile("sgd", loss="mse", metrics=[[], ["mae"]], loss_weights=[2.0, 1.0])
    assert [type(loss).__name__ for loss in model.loss] == ["MeanSquaredError"] * 2
    logs = model.evaluate(x, [np.eye(3)[y[0]], y[1]], batch_size=64, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "cls_loss", "reg_loss", "reg_mae"}
    assert logs["loss"] == pytest.approx(2 * logs["cls_loss"] + logs["reg_loss"], rel=1e-6)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"loss": {"cls": "mse"}}, ValueError, r"keyed by the output names \['cls', 'reg'\]"),
    ({"loss": ["mse"]}, ValueError, "one entry per output"),
    ({"loss": "mse", "metrics": ["accuracy"]}, ValueError, "one entry per output"),
    ({"loss": "mse", "metrics": "accuracy"}, ValueError, "several outputs"),
    ({"loss": "mse", "loss_weights": ["1", 2]}, TypeError, "loss_weights"),
    ({}, ValueError, "`loss` is required"),
])
def test_bad_compile_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        two_headed_model().compile("adam", **kwargs)


def test_bad_data_for_several_inputs_raise():
    model = two_headed_model()
    model.compile("adam", loss="mse")
    (xa, xb), (y_cls, y_reg) = two_headed_data(n=8)
    with pytest.raises(ValueError, match="one array per input"):
        model.predict(xa)
    with pytest.raises(ValueError, match=r"`x\[1\]`"):
        model.predict([xa, xa])
    with pytest.raises(ValueError, match=r"keyed by the output names"):
        model.fit([xa, xb], {"cls": y_cls}, verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit([xa, xb[:4]], [y_cls, y_reg], verbose=0)


def test_single_output_takes_keras_dict_forms_but_no_loss_weights():
    i = layers.Input((3,))
    model = Model(i, layers.Dense(2, activation="softmax", name="out")(i))
    model.compile("adam", loss={"out": "sparse_categorical_crossentropy"}, metrics={"out": "accuracy"})
    assert isinstance(model.loss, losses.SparseCategoricalCrossentropy)
    assert takes_logits(model.loss, model.forward(Tensor4D.from_natural(np.ones((4, 3), "float32"))))
    assert list(model.evaluate(np.ones((4, 3)), np.zeros(4, int), verbose=0, return_dict=True)) == ["loss", "accuracy"]
    with pytest.raises(ValueError, match="this model has one"):
        model.compile("adam", "mse", loss_weights=[1.0])


def test_functional_and_sequential_train_alike():
    x = np.random.default_rng(4).standard_normal((64, 6)).astype("float32")
    y = (x.sum(axis=1) > 0).astype(int)
    sequential = Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(2, activation="softmax")])
    i = layers.Input((6,))
    functional = Model(i, layers.Dense(2, activation="softmax")(layers.Dense(8, activation="relu")(i)))
    functional.set_weights(sequential.get_weights())
    for model in (sequential, functional):
        model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    for model in (sequential, functional):  # softmax + cross-entropy from the logits, in both
        assert takes_logits(model.loss, model.forward(Tensor4D.from_natural(x)))
    for model in (sequential, functional):
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for ours, reference in zip(functional.get_weights(), sequential.get_weights()):
        np.testing.assert_array_equal(ours, reference)


# ------------------------------------------------------------------------------ saving
def test_config_round_trip_rebuilds_the_graph():
    model = two_headed_model()
    config = json.loads(json.dumps(model.get_config()))
    rebuilt = Functional.from_config(config)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert json.loads(json.dumps(rebuilt.get_config())) == config
    rebuilt.set_weights(model.get_weights())
    x, _ = two_headed_data(n=5)
    for ours, theirs in zip(rebuilt.predict(x), model.predict(x)):
        np.testing.assert_array_equal(ours, theirs)


def test_save_and_load_round_trip(tmp_path):
    redes.set_random_seed(1)
    i = layers.Input((6, 6, 2), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = layers.BatchNormalization()(residual_block(x, 4, "block"))
    x = layers.Dropout(0.3, seed=5)(layers.GlobalMaxPooling2D()(x))
    model = Model(i, [layers.Dense(3, activation="softmax", name="label")(x), layers.Dense(1, name="score")(x)])
    model.compile(optimizers.Adam(0.01), loss=["sparse_categorical_crossentropy", "mae"], loss_weights=[1.0, 0.2],
                  metrics=[["accuracy"], []])
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((32, 6, 6, 2)).astype("float32")
    y_data = [rng.integers(0, 3, 32), rng.standard_normal((32, 1)).astype("float32")]
    model.fit(x_data, y_data, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "model.redes")
    loaded = redes.load_model(tmp_path / "model.redes")
    assert type(loaded) is Functional and loaded.loss_weights == [1.0, 0.2]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for ours, theirs in zip(loaded.predict(x_data), model.predict(x_data)):
        np.testing.assert_array_equal(ours, theirs)
    after = [model.fit(x_data, y_data, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
             for model in (model, loaded)]
    assert after[0] == after[1]  # optimizer state, Dropout generator and weights all restored
    model.save_weights(tmp_path / "weights.redes")
    loaded.load_weights(tmp_path / "weights.redes")


# ------------------------------------------------------------------------------ TensorFlow parity
def residual_cnn(api, image_shape=(8, 8, 3), classes=5):
    """Two conv blocks with Add skips (the second strided, with a 1×1 projection) and a Concatenate branch.

    ``api`` is (layers module, Input, Model): redes' or Keras'; the layer names are the same in both.
    """
    L, Input, Model = api
    i = Input(image_shape, name="image")
    x = L.Conv2D(6, 3, padding="same", activation="relu", name="stem")(i)
    y = L.Conv2D(6, 3, padding="same", activation="relu", name="block1_conv1")(x)
    y = L.Conv2D(6, 3, padding="same", name="block1_conv2")(y)
    block1 = L.ReLU(name="block1_relu")(L.Add(name="block1_add")([x, y]))
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="block2_conv1")(block1)
    y = L.Conv2D(8, 3, padding="same", name="block2_conv2")(y)
    shortcut = L.Conv2D(8, 1, strides=2, name="block2_projection")(block1)
    block2 = L.ReLU(name="block2_relu")(L.Add(name="block2_add")([shortcut, y]))
    branch = L.Conv2D(4, 1, activation="relu", name="branch")(L.MaxPooling2D(2, name="branch_pool")(block1))
    joined = L.Concatenate(name="concat")([block2, branch])
    pooled = L.GlobalAveragePooling2D(name="pool")(joined)
    return Model(i, L.Dense(classes, activation="softmax", name="classifier")(pooled))


def test_residual_cnn_tensorflow_parity():
    tf = import_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(0)
    theirs = residual_cnn((keras.layers, keras.Input, keras.Model))
    ours = residual_cnn((layers, layers.Input, Model))
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())  # same order of layers and weights as Keras
    what = "Residual CNN (functional: 2 Add skips, Concatenate branch)"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 5, 32)
    assert_parity(f"{what}: forward", "float32", ours.predict(x), theirs.predict(x, verbose=0), FLOAT32_MATMUL_RTOL)

    upstream = rng.standard_normal((8, 5)).astype("float32")  # L = Σ y ⊙ R
    x_tf = tf.constant(x[:8])
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(theirs(x_tf, training=False) * upstream)
    their_grads = tape.gradient(loss, [x_tf] + theirs.trainable_weights)
    ours(Tensor4D(x[:8]), training=False)
    input_grad = ours.backward(upstream)
    assert_parity(f"{what}: input gradient", "float32", input_grad, their_grads[0], FLOAT32_MATMUL_RTOL)
    for ours_grad, their_grad in zip(ours.gradients, their_grads[1:]):
        assert_parity(f"{what}: weight gradients", "float32", ours_grad, their_grad, FLOAT32_MATMUL_RTOL)

    theirs.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    for step in range(10):
        batch = slice(step * 8 % 32, step * 8 % 32 + 8)
        their_loss = float(theirs.train_on_batch(x[batch], y[batch]))
        our_loss = ours.train_on_batch(x[batch], y[batch])
        assert_parity(f"{what}: loss at each of 10 Adam steps", "float32", our_loss, their_loss,
                      MULTISTEP_FLOAT32_RTOL)
    for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{what}: weights after 10 steps", "float32", ours_weight, their_weight, rtol=0.0,
                      atol=WEIGHTS_ATOL)


# ------------------------------------------------------------------------------ SEEDS §5 CNN
def strided_cnn():
    """SEEDS §5: three strided 3×3 convolutions, GlobalMaxPooling2D, Dropout, Dense 1024, Dropout, softmax."""
    i = layers.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(i)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dropout(0.3)(layers.GlobalMaxPooling2D()(x))
    x = layers.Dropout(0.3)(layers.Dense(1024, activation="relu")(x))
    return Model(i, layers.Dense(10, activation="softmax")(x))


def test_strided_cnn_learns_fashion_mnist():
    redes.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = redes.datasets.load_fashion_mnist(verbose=False)
    x_train = x_train[:3000, ..., None].astype("float32") / 255
    x_test = x_test[:1000, ..., None].astype("float32") / 255
    model = strided_cnn()
    assert model.output_shape == (10,) and model.count_params() == 320 + 18496 + 73856 + 132096 + 10250
    model.compile(optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train[:3000], batch_size=64, epochs=2, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test[:1000], verbose=0)
    print(f"strided CNN on 3000 Fashion-MNIST images, 2 epochs: test accuracy {accuracy:.3f}")  # 0.76 measured
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy > 0.65  # chance is 0.1


def test_two_inputs_two_outputs_with_loss_weights_tensorflow_parity():
    tf = import_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(1)

    def build(L, Input, Model):
        a, b = Input((4,), name="a"), Input((3,), name="b")
        shared = L.Dense(8, activation="relu", name="shared")
        ha, hb = shared(L.Dense(5, name="pa")(a)), shared(L.Dense(5, name="pb")(b))
        cls = L.Dense(3, activation="softmax", name="cls")(L.Concatenate(name="join")([ha, hb]))
        return Model([a, b], [cls, L.Dense(1, name="reg")(L.Subtract(name="diff")([ha, hb]))])

    theirs, ours = build(keras.layers, keras.Input, keras.Model), build(layers, layers.Input, Model)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    compile_args = {"loss": {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                    "loss_weights": {"cls": 1.0, "reg": 0.5}}
    theirs.compile(optimizer=keras.optimizers.Adam(1e-2), **compile_args)
    ours.compile(optimizer=optimizers.Adam(1e-2), **compile_args)
    x, y = two_headed_data(n=40, seed=3)
    what = "Two inputs, two outputs, shared Dense, loss_weights 1 and 0.5, Adam"
    for step in range(5):
        batch = slice(step * 8, step * 8 + 8)
        their_loss = theirs.train_on_batch([v[batch] for v in x], [v[batch] for v in y], return_dict=True)["loss"]
        our_loss = ours.train_on_batch([v[batch] for v in x], [v[batch] for v in y], return_dict=True)["loss"]
        assert_parity(f"{what}: loss at each of 5 steps", "float32", our_loss, float(their_loss),
                      MULTISTEP_FLOAT32_RTOL)
    their_logs = theirs.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    our_logs = ours.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    assert set(our_logs) == set(their_logs) == {"loss", "cls_loss", "reg_loss"}
    for key in our_logs:
        assert_parity(f"{what}: evaluate logs", "float32", our_logs[key], float(their_logs[key]),
                      MULTISTEP_FLOAT32_RTOL)
