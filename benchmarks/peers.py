"""The MLP and the seed CNN in the NumPy peers DeZero and numpy-ml, behind redes's ``train_on_batch``/``predict``.

Both peers are run as their PyPI releases ship (``dezero`` 0.0.13, ``numpy-ml`` 0.1.2), with two
import shims for names that NumPy 2 and Python 3.10 removed (``np.int``, ``collections.Hashable``).
Neither has Nadam: their MLP trains with Adam. What else each model lacks against the seed CNN is
in ``DIFFERENCES``, which the suite prints as notes.
"""

from __future__ import annotations

import collections.abc
import importlib.util
import warnings

import numpy as np

PEERS = {"dezero": "dezero", "numpy_ml": "numpy-ml"}  # framework name -> PyPI package
MODULES = {"dezero": "dezero", "numpy_ml": "numpy_ml"}
DIFFERENCES = {
    "dezero": "DeZero: the seed CNN layer for layer (Conv2d, BatchNorm on NCHW, pooling, Linear), images "
              "transposed to NCHW inside the step; Adam, also for the MLP (no Nadam); under NumPy 2 its "
              "initialisers (float32 times a float64 scale) make float64 weights, so it computes in float64.",
    "numpy_ml": "numpy-ml: the seed CNN layer for layer (Conv2D, BatchNorm2D, Pool2D, FullyConnected, "
                "BatchNorm1D), Adam, also for the MLP (no Nadam); its initialisers make float64 weights, so it "
                "computes in float64, and Pool2D loops over every output element in Python.",
}


def available(framework: str) -> bool:
    return importlib.util.find_spec(MODULES[framework]) is not None


def _dezero():
    np.int = int  # dezero 0.0.13 still names np.int (removed in NumPy 1.24) at import time
    import dezero
    return dezero


def _numpy_ml():
    collections.Hashable = collections.abc.Hashable  # numpy-ml 0.1.2 imports it from collections
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its reinforcement-learning module warns that gym is missing
        from numpy_ml import neural_nets
    return neural_nets


def load(framework: str) -> None:
    """Import the peer (in its worker), so that a missing or broken package fails at start-up."""
    _dezero() if framework == "dezero" else _numpy_ml()


class PeerNet:
    """A peer's model with the two calls the tasks time: ``train_on_batch`` and ``predict``."""

    def train_on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, x: np.ndarray, batch_size: int, verbose: int = 0) -> np.ndarray:
        return np.concatenate([self.infer(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


class DeZeroNet(PeerNet):
    def __init__(self, model, images: bool) -> None:
        self.dezero = _dezero()
        self.model, self.images = model, images
        self.optimizer = self.dezero.optimizers.Adam(1e-3).setup(model)

    def _input(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if self.images else x  # NHWC -> NCHW

    def train_on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        loss = self.dezero.functions.softmax_cross_entropy(self.model(self._input(x)), y)
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()

    def infer(self, x: np.ndarray) -> np.ndarray:
        with self.dezero.test_mode(), self.dezero.no_grad():
            return self.dezero.functions.softmax(self.model(self._input(x))).data


class NumpyMLNet(PeerNet):
    def __init__(self, layers: list) -> None:
        self.nn = _numpy_ml()
        self.layers = layers
        self.softmax = self.nn.layers.Softmax()

    def train_on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        for layer in self.layers:
            x = layer.forward(x)
        probabilities = self.softmax.forward(x, retain_derived=False)
        onehot = np.eye(probabilities.shape[1], dtype=probabilities.dtype)[y]
        gradient = self.nn.losses.CrossEntropy.grad(onehot, probabilities) / len(y)  # its loss is a sum
        for layer in reversed(self.layers):
            gradient = layer.backward(gradient)
        for layer in self.layers:
            layer.update()

    def infer(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, retain_derived=False)  # BatchNorm uses its running statistics
        return self.softmax.forward(x, retain_derived=False)


def build_mlp(framework: str) -> PeerNet:
    """MLP 784-300-100-10, ReLU, softmax cross-entropy, Adam (neither peer has Nadam)."""
    if framework == "dezero":
        dezero = _dezero()
        return DeZeroNet(dezero.models.MLP((300, 100, 10), activation=dezero.functions.relu), images=False)
    nn = _numpy_ml()
    return NumpyMLNet([nn.layers.FullyConnected(units, act_fn=act, optimizer=nn.optimizers.Adam(lr=1e-3))
                       for units, act in ((300, "ReLU"), (100, "ReLU"), (10, None))])


def build_cnn(framework: str) -> PeerNet:
    """The seed CNN: Conv32-BN-Conv64-BN-MaxPool2-Flatten-Dense128-BN-Dense10, ReLU, Adam."""
    if framework == "dezero":
        dezero = _dezero()
        F, L = dezero.functions, dezero.layers

        class SeedCNN(dezero.Model):
            def __init__(self) -> None:
                super().__init__()
                self.conv1, self.bn1 = L.Conv2d(32, 3), L.BatchNorm()
                self.conv2, self.bn2 = L.Conv2d(64, 3), L.BatchNorm()
                self.fc1, self.bn3, self.fc2 = L.Linear(128), L.BatchNorm(), L.Linear(10)

            def forward(self, x):
                x = self.bn2(F.relu(self.conv2(self.bn1(F.relu(self.conv1(x))))))
                x = F.flatten(F.pooling(x, 2, 2))
                return self.fc2(self.bn3(F.relu(self.fc1(x))))

        return DeZeroNet(SeedCNN(), images=True)
    nn = _numpy_ml()
    layers, adam = nn.layers, nn.optimizers.Adam  # one optimizer per layer: it keys its state by parameter name
    return NumpyMLNet([
        layers.Conv2D(32, (3, 3), act_fn="ReLU", optimizer=adam(lr=1e-3)), layers.BatchNorm2D(optimizer=adam(lr=1e-3)),
        layers.Conv2D(64, (3, 3), act_fn="ReLU", optimizer=adam(lr=1e-3)), layers.BatchNorm2D(optimizer=adam(lr=1e-3)),
        layers.Pool2D((2, 2), stride=2, mode="max"), layers.Flatten(),
        layers.FullyConnected(128, act_fn="ReLU", optimizer=adam(lr=1e-3)), layers.BatchNorm1D(optimizer=adam(lr=1e-3)),
        layers.FullyConnected(10, act_fn=None, optimizer=adam(lr=1e-3)),
    ])
