"""The argument checks of the modules converted to redes.validation: TypeError for a wrong type, ValueError for a
wrong value, and a message that names the argument and echoes the value received."""

import math

import matplotlib
import numpy as np
import pytest

from redes import activations, cli, datasets, initializers, layers, losses, plotting, regularizers
from redes.models import RedeNeural, Sequential
from redes.validation import check_int_sequence

matplotlib.use("Agg")

INF, NAN = math.inf, math.nan
TEN = np.arange(10)
X = np.array([-1.0, 2.0])


CNN = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3)])   # built outside the checked calls
assert CNN.built and len(CNN.layers) == 1


CASES = [
    # losses: Huber's delta, the cross-entropies' from_logits and label_smoothing, every loss's name, get
    (losses.Huber, {"delta": "1"}, TypeError, "delta='1'"),
    (losses.Huber, {"delta": True}, TypeError, "delta=True"),
    (losses.Huber, {"delta": 0}, ValueError, "delta=0"),
    (losses.Huber, {"delta": -1.5}, ValueError, "delta=-1.5"),
    (losses.Huber, {"delta": INF}, ValueError, "delta=inf"),
    (losses.BinaryCrossentropy, {"label_smoothing": 1.5}, ValueError, "label_smoothing=1.5"),
    (losses.BinaryCrossentropy, {"label_smoothing": -0.1}, ValueError, "label_smoothing=-0.1"),
    (losses.CategoricalCrossentropy, {"label_smoothing": "0.1"}, TypeError, "label_smoothing='0.1'"),
    (losses.CategoricalCrossentropy, {"label_smoothing": NAN}, ValueError, "label_smoothing=nan"),
    (losses.SparseCategoricalCrossentropy, {"from_logits": 1}, TypeError, "from_logits=1"),
    (losses.BinaryCrossentropy, {"from_logits": "yes"}, TypeError, "from_logits='yes'"),
    (losses.MeanSquaredError, {"name": ""}, ValueError, "name=''"),
    (losses.MeanAbsoluteError, {"name": 3}, TypeError, "name=3"),
    (losses.get, {"identifier": 3}, TypeError, "loss=3"),
    (losses.get, {"identifier": "msee"}, ValueError, "'msee'"),
    # initializers: seed, value, minval/maxval, stddev, gain, get
    (initializers.GlorotUniform, {"seed": "1"}, TypeError, "seed='1'"),
    (initializers.HeNormal, {"seed": -1}, ValueError, "seed=-1"),
    (initializers.RandomNormal, {"seed": 1.5}, TypeError, "seed=1.5"),
    (initializers.Orthogonal, {"seed": True}, TypeError, "seed=True"),
    (initializers.Constant, {"value": "1"}, TypeError, "value='1'"),
    (initializers.Constant, {"value": NAN}, ValueError, "value=nan"),
    (initializers.RandomNormal, {"stddev": 0}, ValueError, "stddev=0"),
    (initializers.TruncatedNormal, {"stddev": -1.0}, ValueError, "stddev=-1.0"),
    (initializers.RandomUniform, {"minval": "a"}, TypeError, "minval='a'"),
    (initializers.RandomUniform, {"minval": 1.0, "maxval": 0.0}, ValueError, "minval=1.0"),
    (initializers.Identity, {"gain": None}, TypeError, "gain=None"),
    (initializers.Orthogonal, {"gain": INF}, ValueError, "gain=inf"),
    (initializers.get, {"identifier": 3}, TypeError, "Received: 3"),
    # regularizers: non-negative finite factors
    (regularizers.L1, {"l1": -0.01}, ValueError, "l1=-0.01"),
    (regularizers.L2, {"l2": "0.01"}, TypeError, "l2='0.01'"),
    (regularizers.L1L2, {"l1": INF}, ValueError, "l1=inf"),
    (regularizers.L1L2, {"l2": True}, TypeError, "l2=True"),
    # activations: parameters of get and of the functions
    (activations.get, {"identifier": "leaky_relu", "negative_slope": "a"}, TypeError, "negative_slope='a'"),
    (activations.get, {"identifier": "elu", "alpha": NAN}, ValueError, "alpha=nan"),
    (activations.get, {"identifier": "relu", "alpha": 1.0}, TypeError, "alpha=1.0"),
    (activations.get, {"identifier": 3}, TypeError, "activation=3"),
    (activations.leaky_relu, {"x": X, "negative_slope": None}, TypeError, "negative_slope=None"),
    (activations.elu, {"x": X, "alpha": INF}, ValueError, "alpha=inf"),
    # datasets
    (datasets.to_categorical, {"labels": [0, 1], "num_classes": 0}, ValueError, "num_classes=0"),
    (datasets.to_categorical, {"labels": [0, 1], "num_classes": 2.0}, TypeError, "num_classes=2.0"),
    (datasets.train_validation_split, {"x": TEN, "y": TEN, "validation_size": 10}, ValueError,
     "validation_size=10"),
    (datasets.train_validation_split, {"x": TEN, "y": TEN, "validation_size": 0}, ValueError, "validation_size=0"),
    (datasets.train_validation_split, {"x": TEN, "y": TEN, "validation_size": "2"}, TypeError,
     "validation_size='2'"),
    # plotting
    (plotting.confusion_matrix, {"y_true": [0, 1], "y_pred": [0, 1], "num_classes": 0}, ValueError,
     "num_classes=0"),
    (plotting.confusion_matrix, {"y_true": [0, 1], "y_pred": [0, 1], "num_classes": "2"}, TypeError,
     "num_classes='2'"),
    (plotting.plot_predictions, {"images": np.zeros((2, 4, 4)), "y_true": [0, 1], "y_pred": [0, 1], "n": 0},
     ValueError, "n=0"),
    (plotting.plot_predictions, {"images": np.zeros((2, 4, 4)), "y_true": [0, 1], "y_pred": [0, 1], "n": 2.5},
     TypeError, "n=2.5"),
    (lambda **kw: plotting.plot_feature_maps(CNN, np.zeros((6, 6, 1)), **kw), {"layer_index": 1.0},
     TypeError, "layer_index=1.0"),
    (lambda **kw: plotting.plot_feature_maps(CNN, np.zeros((6, 6, 1)), **kw), {"layer_index": 1},
     ValueError, "layer_index=1"),
    (plotting.plot_history, {"history": {"loss": [1.0]}, "save_path": 3}, TypeError, "save_path=3"),
    # RedeNeural
    (RedeNeural, {"layer_sizes": [3]}, ValueError, "layer_sizes=[3]"),
    (RedeNeural, {"layer_sizes": [3, 0]}, ValueError, "layer_sizes=[3, 0]"),
    (RedeNeural, {"layer_sizes": [3, 2.0]}, TypeError, "layer_sizes=[3, 2.0]"),
    (RedeNeural, {"layer_sizes": "32"}, TypeError, "layer_sizes='32'"),
    (RedeNeural, {"layer_sizes": [3, 2], "seed": -1}, ValueError, "seed=-1"),
    (RedeNeural, {"layer_sizes": [3, 2], "seed": "1"}, TypeError, "seed='1'"),
    # cli
    (cli.build_model, {"preset": "resnet", "input_shape": (28, 28, 1)}, ValueError, "preset='resnet'"),
    (cli.build_model, {"preset": 3, "input_shape": (28, 28, 1)}, TypeError, "preset=3"),
    (cli.load_images, {"dataset": "imagenet"}, ValueError, "dataset='imagenet'"),
]


def _case_id(case):
    make, _, error, message = case
    name = make.__qualname__.replace("<lambda>", "plot_feature_maps")
    return f"{name}-{error.__name__}-{message}"


@pytest.mark.parametrize("make,kwargs,error,message", CASES, ids=[_case_id(case) for case in CASES])
def test_bad_argument(make, kwargs, error, message):
    import matplotlib.pyplot as plt

    try:
        with pytest.raises((TypeError, ValueError)) as info:
            make(**kwargs)
    finally:
        plt.close("all")
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert message in str(info.value)
    name = message.split("=")[0].strip("'")
    if "=" in message:   # the house message: "`name` must be .... Received: name=value"
        assert f"`{name}`" in str(info.value) and f"Received: {message}" in str(info.value)


def test_enough_cases():
    assert len(CASES) >= 40
    assert {error for _, _, error, _ in CASES} == {TypeError, ValueError}


@pytest.mark.parametrize("make,kwargs", [
    (losses.Huber, {"delta": 0.5}), (losses.BinaryCrossentropy, {"label_smoothing": 1, "from_logits": True}),
    (losses.MeanSquaredError, {"name": None}), (initializers.HeNormal, {"seed": np.int64(3)}),
    (initializers.RandomNormal, {"mean": -1, "stddev": np.float32(0.1)}), (regularizers.L1L2, {"l1": 0, "l2": 0.0}),
    (activations.get, {"identifier": "leaky_relu", "negative_slope": 0}),
    (RedeNeural, {"layer_sizes": (3, np.int64(2)), "seed": 0}),
])
def test_good_arguments_pass(make, kwargs):
    make(**kwargs)


def test_converted_values():
    assert losses.Huber(delta=2).delta == 2.0 and type(losses.Huber(delta=2).delta) is float
    assert type(initializers.HeNormal(seed=np.int64(3)).seed) is int
    assert RedeNeural((3, np.int64(2))).layer_sizes == [3, 2]
    assert activations.get("elu", alpha=1).config == {"alpha": 1.0}
    assert cli.build_model("mlp", (28, 28, 1)).name == "mlp"


@pytest.mark.parametrize("text,expected", [("3", 3), ("0", None), ("-2", None), ("many", None), ("2.5", None)])
def test_cli_positive_int(text, expected):
    if expected is None:
        with pytest.raises(cli.argparse.ArgumentTypeError, match=f"must be a positive integer, not {text}"):
            cli._positive_int(text)
    else:
        assert cli._positive_int(text) == expected


@pytest.mark.parametrize("text,parse,message", [
    ("0", cli._positive_float, "must be a positive number, not 0"),
    ("inf", cli._positive_float, "must be a positive number, not inf"),
    ("nan", cli._positive_float, "must be a positive number, not nan"),
    ("x", cli._positive_float, "must be a positive number, not x"),
    ("1.5", cli._decay_rate, "must be in (0, 1], not 1.5"),
    ("-1", cli._decay_rate, "must be a positive number, not -1"),
])
def test_cli_bad_numbers(text, parse, message):
    with pytest.raises(cli.argparse.ArgumentTypeError) as info:
        parse(text)
    assert str(info.value) == message


def test_cli_good_numbers():
    assert cli._positive_float("1e-3") == 0.001 and cli._decay_rate("1") == 1.0 and cli._decay_rate("0.5") == 0.5


# ------------------------------------------------------------------ check_int_sequence
@pytest.mark.parametrize("value,kwargs,expected", [
    ((784, 10), {"minimum": 1, "min_length": 2}, [784, 10]),
    ([np.int32(3), 0], {"minimum": 0}, [3, 0]),
    ([-5, 7], {}, [-5, 7]),
    ([], {}, []),
])
def test_check_int_sequence_accepts(value, kwargs, expected):
    result = check_int_sequence("sizes", value, **kwargs)
    assert result == expected and all(type(entry) is int for entry in result) and type(result) is list


@pytest.mark.parametrize("value,kwargs,error,message", [
    ("12", {}, TypeError, "`sizes` must be a list of integers. Received: sizes='12'"),
    ({1, 2}, {}, TypeError, "Received: sizes={1, 2}"),
    (5, {"minimum": 1}, TypeError, "`sizes` must be a list of positive integers. Received: sizes=5"),
    ([1, True], {}, TypeError, "Received: sizes=[1, True]"),
    ([1, 2.0], {}, TypeError, "Received: sizes=[1, 2.0]"),
    ([1, "2"], {}, TypeError, "Received: sizes=[1, '2']"),
    ([], {"min_length": 1}, ValueError, "`sizes` must be a list of at least 1 integers. Received: sizes=[]"),
    ([3], {"minimum": 1, "min_length": 2}, ValueError,
     "`sizes` must be a list of at least 2 positive integers. Received: sizes=[3]"),
    ([1, 0], {"minimum": 1}, ValueError, "Received: sizes=[1, 0]"),
    ([0, -1], {"minimum": 0}, ValueError, "`sizes` must be a list of non-negative integers. Received: sizes=[0, -1]"),
    ([3, 2], {"minimum": 3}, ValueError, "`sizes` must be a list of integers >= 3. Received: sizes=[3, 2]"),
])
def test_check_int_sequence_rejects(value, kwargs, error, message):
    with pytest.raises((TypeError, ValueError)) as info:
        check_int_sequence("sizes", value, **kwargs)
    assert type(info.value) is error
    assert message in str(info.value)
