"""redes.serialization: one registry and one JSON form for every configurable object."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import redes
from redes import Sequential, activations, initializers, layers, losses, metrics, optimizers, regularizers
from redes.optimizers import schedules
from redes.serialization import custom_object_scope, deserialize, register_serializable, serialize

PACKAGE = Path(redes.__file__).parent


@pytest.mark.parametrize("obj, kind", [
    (initializers.HeNormal(seed=3), "initializer"),
    (initializers.RandomUniform(-0.2, 0.3, seed=1), "initializer"),
    (regularizers.L1L2(0.1, 0.2), "regularizer"),
    (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), "loss"),
    (losses.Huber(delta=2.0), "loss"),
    (metrics.SparseTopKCategoricalAccuracy(k=3), "metric"),
    (optimizers.Adam(learning_rate=0.01, beta_1=0.8), "optimizer"),
    (optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.5), momentum=0.9), "optimizer"),
    (schedules.PolynomialDecay(0.1, 100, 0.01, power=2.0), "schedule"),
])
def test_every_kind_round_trips_through_json(obj, kind):
    spec = json.loads(json.dumps(serialize(obj)))
    assert spec["module"].startswith("redes") and spec["class_name"] == type(obj).__name__
    for given in (kind, None):
        again = deserialize(spec, kind=given)
        assert type(again) is type(obj) and again.get_config() == obj.get_config()


def test_activation_parameters_survive():
    spec = serialize(activations.get("leaky_relu", negative_slope=0.3))
    assert spec == {"module": "redes.activations", "class_name": "leaky_relu", "config": {"negative_slope": 0.3}}
    assert deserialize(spec).config == {"negative_slope": 0.3}
    assert serialize(activations.get("relu")) == "relu" and deserialize("relu").name == "relu"


def test_the_issue_example_dense_keeps_initializer_and_activation_slope():
    dense = layers.Dense(4, kernel_initializer="he_normal",
                         activation=activations.get("leaky_relu", negative_slope=0.3))
    again = layers.Dense.from_config(json.loads(json.dumps(dense.get_config())))
    assert isinstance(again.kernel_initializer, initializers.HeNormal)
    assert again.activation.config == {"negative_slope": 0.3}
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    redes.set_random_seed(7)
    first = dense(x)
    redes.set_random_seed(7)
    second = again(x)  # the same seed draws the same initial weights
    np.testing.assert_array_equal(first, second)


def test_files_from_before_the_module_key_still_load():
    old = {"class_name": "Dense", "config": {"name": "d", "trainable": True, "dtype": "float32", "units": 2,
                                            "activation": {"class_name": "elu", "config": {"alpha": 0.5}},
                                            "use_bias": True, "kernel_regularizer": {"class_name": "L2",
                                                                                     "config": {"l2": 0.1}},
                                            "bias_regularizer": None}}
    dense = deserialize(old, kind="layer")
    assert dense.activation.config == {"alpha": 0.5} and dense.kernel_regularizer.l2 == pytest.approx(0.1)


def test_metric_and_loss_of_one_name_are_told_apart_by_module():
    assert type(deserialize(serialize(metrics.MeanSquaredError()))) is metrics.MeanSquaredError
    assert type(deserialize(serialize(losses.MeanSquaredError()))) is losses.MeanSquaredError


@pytest.mark.parametrize("name", [name for name in metrics.__all__ if isinstance(getattr(metrics, name), type)
                                  and issubclass(getattr(metrics, name), metrics.Metric)
                                  and name not in ("Metric", "MeanMetricWrapper")])  # a wrapper needs its function
def test_metrics_keep_the_public_package_as_their_module(name):
    """redes.metrics is a package of one file per concept; configs name the package, before and after the split."""
    cls = getattr(metrics, name)
    assert cls.__module__.startswith("redes.metrics.")  # defined in a submodule ...
    metric = cls(name="m") if name != "Precision" else cls(average="macro", name="m")
    spec = json.loads(json.dumps(serialize(metric)))
    assert spec["module"] == "redes.metrics"               # ... but written as the public package
    written_before_the_split = {"module": "redes.metrics", "class_name": name, "config": metric.get_config()}
    for again in (deserialize(spec), deserialize(written_before_the_split),
                  deserialize({"class_name": name, "config": metric.get_config()}, kind="metric")):
        assert type(again) is cls and again.get_config() == metric.get_config()


class Scale(layers.Layer):
    def __init__(self, factor: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        return redes.Tensor4D(self.factor * x.data)

    def backward(self, grad):
        return redes.Tensor4D(self.factor * grad.data)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_user_class_needs_custom_objects_or_registration(tmp_path):
    model = Sequential([layers.Input((3,)), Scale(3.0), layers.Dense(2)])
    model.compile("adam", "mse")
    path = tmp_path / "scale.redes"
    model.save(path)
    with pytest.raises(ValueError, match=r"Unknown layer class 'Scale'.*custom_objects"):
        redes.load_model(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(redes.load_model(path, custom_objects={"Scale": Scale}).predict(x),
                                  model.predict(x))
    with custom_object_scope({"Scale": Scale}):
        assert redes.load_model(path).layers[0].factor == 3.0


def test_registered_class_loads_without_custom_objects(tmp_path):
    @register_serializable(package="tests")
    class Halve(Scale):
        def __init__(self, **kwargs):
            super().__init__(factor=0.5, **kwargs)

        def get_config(self):
            return layers.Layer.get_config(self)

    model = Sequential([layers.Input((3,)), Halve(), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.save(tmp_path / "halve.redes")
    spec = serialize(model.layers[0])
    assert spec["registered_name"] == "tests>Halve"
    loaded = redes.load_model(tmp_path / "halve.redes")
    assert type(loaded.layers[0]) is Halve
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3))), model.predict(np.ones((1, 3))))


def test_a_file_cannot_make_redes_import_another_module():
    with pytest.raises(ValueError, match="Unknown layer class 'system'"):
        deserialize({"module": "os", "class_name": "system", "config": {}}, kind="layer")
    assert "subprocess_never_imported_by_redes" not in sys.modules


def test_register_serializable_bad_arguments():
    with pytest.raises(ValueError, match="package"):
        register_serializable(package="a>b")
    with pytest.raises(TypeError, match="get_config"):
        register_serializable()(lambda: None)


def test_serialization_is_a_leaf_and_saving_never_imports_models():
    """serialization imports no redes module; saving imports no model or layer (models call saving: no cycle)."""
    source = (PACKAGE / "serialization.py").read_text()
    imports = [node for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(not (isinstance(n, ast.ImportFrom) and n.level) and
               not any(alias.name.startswith("redes") for alias in getattr(n, "names", [])) for n in imports)
    tree = ast.parse((PACKAGE / "saving.py").read_text())
    run_time = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = [node.module or "" for node in run_time if isinstance(node, ast.ImportFrom)]
    assert modules and not any(module.startswith(("models", "layers")) for module in modules), modules
