"""Write the notebooks from the cells below, and optionally execute them (full mode) with their outputs.

Each notebook is a list of cells: ``md(...)`` for markdown, ``code(...)`` for code. Headings are
"## n. Portuguese / English"; the prose is English.

Usage (from the repository root):
    python notebooks/_build.py                 # write every notebook, without outputs
    python notebooks/_build.py --execute 01 02 # write and execute (full mode) the notebooks named
                                               # by their number, saving them with their outputs
    python notebooks/_build.py --markdown 03   # prose edits only: new markdown, outputs kept

Execution unsets REDES_QUICK (full mode) and runs the kernel in notebooks/, as the test does in quick
mode. Progress bars are kept as a terminal would show them (the last state of each line).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


SETUP = '''
import os
import warnings

QUICK = os.environ.get("REDES_QUICK") == "1"   # REDES_QUICK=1: a little data and one epoch (CI)
warnings.filterwarnings("ignore", message="IProgress not found")  # plain-text progress bars without ipywidgets

import numpy as np
import matplotlib.pyplot as plt

try:
    import redes
except ImportError:  # a clone that was not installed: use the repository's copy
    import sys
    sys.path.insert(0, os.path.abspath(".."))
    import redes
from redes import Sequential, datasets, layers, losses, metrics, optimizers, plotting

%matplotlib inline
redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")
'''

TF_IMPORT = '''
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
try:
    import tensorflow as tf
except ImportError:
    tf = None
print("TensorFlow", tf.__version__ if tf is not None else "is not installed: the TensorFlow cells will skip")
'''

FASHION_MNIST_SPLIT = '''
(x_train_full, y_train_full), (x_test, y_test) = datasets.load_fashion_mnist()
x_train_full, x_test = datasets.scale_images(x_train_full), datasets.scale_images(x_test)
(x_train, y_train), (x_val, y_val) = datasets.train_validation_split(x_train_full, y_train_full, 5000)
if QUICK:
    x_train, y_train, x_val, y_val = x_train[:2000], y_train[:2000], x_val[:500], y_val[:500]
    x_test, y_test = x_test[:1000], y_test[:1000]
'''

NOTEBOOKS: dict[str, list] = {}


def notebook(name: str):
    def register(function):
        NOTEBOOKS[name] = function
        return function
    return register


# ----------------------------------------------------------------------------------------------- 01
@notebook("01_quickstart")
def quickstart():
    return [
        md('''
# 01 · Início rápido / Quickstart

A multilayer perceptron on Fashion-MNIST with redes, the Keras way: load the data, build a
`Sequential` model, `compile`, `fit`, then look at the learning curves, the confusion matrix and
the images the model gets wrong. Everything runs in NumPy on the CPU.

Set `REDES_QUICK=1` in the environment to run it on a small subset in a few seconds (CI does).
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP),
        md('''
## 2. Carregar os dados / Load the data

`load_fashion_mnist()` returns uint8 arrays in the shape of `keras.datasets`. Pixels are scaled
to [0, 1] and the classic split keeps the last 5,000 training images for validation.
'''),
        code(FASHION_MNIST_SPLIT + '''class_names = list(datasets.FASHION_MNIST_CLASS_NAMES)
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)
'''),
        code('''
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for ax, image, label in zip(axes.ravel(), x_train, y_train):
    ax.imshow(image, cmap="gray")
    ax.set_title(class_names[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()
'''),
        md('''
## 3. Construir o modelo / Build the model

`Input` fixes the shape (28×28), `Flatten` makes it a vector of 784 pixels, two hidden `Dense`
layers with ReLU and a 10-way softmax output. The softmax and the sparse categorical
cross-entropy are differentiated together, from the logits, as Keras does.
'''),
        code('''
model = Sequential([
    layers.Input((28, 28)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.summary()
'''),
        md('''
## 4. Treinar / Train

One progress bar per epoch; the validation loss and accuracy are computed at the end of each.
'''),
        code('''
EPOCHS = 1 if QUICK else 5
history = model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_data=(x_val, y_val))
'''),
        md('''
## 5. Curvas de aprendizado / Learning curves

`plotting.plot_history` draws one panel per metric, training against validation.
'''),
        code('''
plotting.plot_history(history);
'''),
        md('''
## 6. Avaliar no conjunto de teste / Evaluate on the test set

`evaluate` returns `[loss, accuracy]`; `predict` returns one probability per class. The
confusion matrix counts, for each true class (row), the predicted classes (columns).
'''),
        code('''
test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.2%}")
probabilities = model.predict(x_test, batch_size=256)
plotting.plot_confusion_matrix(y_test, probabilities, class_names=class_names);
'''),
        code('''
matrix = plotting.confusion_matrix(y_test, probabilities, num_classes=10)
np.fill_diagonal(matrix, 0)
print("Most frequent confusions (true -> predicted):")
for flat_index in np.argsort(matrix, axis=None)[::-1][:5]:
    true, predicted = np.unravel_index(flat_index, matrix.shape)
    print(f"  {class_names[true]:>12} -> {class_names[predicted]:<12} {matrix[true, predicted]:4d} times")
'''),
        md('''
## 7. Imagens mal classificadas / Misclassified images

Only the mistakes: each title gives the prediction with its confidence and, in brackets, the
true class.
'''),
        code('''
predicted = probabilities.argmax(axis=1)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images are misclassified")
plotting.plot_predictions(x_test[wrong], y_test[wrong], probabilities[wrong], class_names=class_names, n=20);
'''),
        md('''
## 8. Salvar e recarregar / Save and reload

`model.save` writes one file (JSON and `.npy` arrays in a zip, no pickle); `redes.load_model`
rebuilds the model, weights and optimizer included.
'''),
        code('''
import tempfile

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "fashion_mlp.redes")
    model.save(path)
    reloaded = redes.load_model(path)
difference = np.abs(reloaded.predict(x_test, batch_size=256) - probabilities).max()
print(f"largest difference between the predictions before and after reloading: {difference}")
'''),
    ]


# ----------------------------------------------------------------------------------------------- 02
@notebook("02_layernorm_custom_loop")
def layernorm_custom_loop():
    return [
        md('''
# 02 · LayerNormalization própria e laço de treino personalizado / A custom LayerNormalization and a custom training loop

Two things from a classic Keras exercise, redone in redes:

1. a LayerNormalization written here, in the notebook, as a redes layer (forward *and*
   backward), checked against redes' built-in layer and, when it is installed, TensorFlow's;
2. a training loop written by hand on Fashion-MNIST: random mini-batches, SGD with Nesterov
   momentum for the lower layers and Nadam for the upper ones, progress bars per step and per
   epoch, validation after every epoch, metrics reset at the end of each epoch.
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP + "from redes import Tensor4D\nfrom tqdm.auto import trange\n"),
        code(TF_IMPORT),
        md('''
## 2. Uma LayerNormalization escrita à mão / A hand-written LayerNormalization

For each sample (each row x of c features), with a learned scale α and offset β per feature:

    μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + ε),   y = α ⊙ x̂ + β

Backward, with g = ∂L/∂y and h = α ⊙ g (means over the c features of the row):

    ∂L/∂α = Σ_rows g ⊙ x̂,   ∂L/∂β = Σ_rows g,   ∂L/∂x = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)

A redes layer creates its weights in `build` (from the input's feature shape), computes in
`forward` on a `Tensor4D` (NHWC data; flat data is `(N, 1, 1, c)`) and, in `backward`, stores the
weights' gradients and returns ∂L/∂x.
'''),
        code('''
class MyLayerNormalization(layers.Layer):
    """Layer normalization over the last axis, with a scale `alpha` and an offset `beta` per feature."""

    def __init__(self, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.add_weight("alpha", input_shape[-1:], "ones")
        self.add_weight("beta", input_shape[-1:], "zeros")

    def forward(self, x, training=False):
        data = x.data                                   # (N, H, W, C)
        mean = data.mean(axis=-1, keepdims=True)
        variance = data.var(axis=-1, keepdims=True)     # biased, as tf.nn.moments
        self._inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        self._xhat = (data - mean) * self._inv_std
        return Tensor4D(self.alpha * self._xhat + self.beta)

    def backward(self, grad):
        g = grad.data
        self.set_gradient("alpha", (g * self._xhat).sum(axis=(0, 1, 2)))
        self.set_gradient("beta", g.sum(axis=(0, 1, 2)))
        h = g * self.alpha
        dx = h - h.mean(axis=-1, keepdims=True) - self._xhat * (h * self._xhat).mean(axis=-1, keepdims=True)
        return Tensor4D(dx * self._inv_std)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
'''),
        md('''
### Comparação com a camada embutida / Comparison with the built-in layer

The same random α and β in both layers, a batch of flattened images, and a random upstream
gradient for the backward pass.
'''),
        code('''
X = datasets.scale_images(datasets.load_fashion_mnist()[0][0][:256]).reshape(256, 784)
alpha = rng.normal(1.0, 0.2, 784).astype("float32")
beta = rng.normal(0.0, 0.2, 784).astype("float32")
upstream = rng.normal(size=(256, 784)).astype("float32")

mine, builtin = MyLayerNormalization(), layers.LayerNormalization(epsilon=1e-3)
results = {}
for layer in (mine, builtin):
    y = layer(X)                                        # builds the layer, then forward
    layer.set_weights([alpha, beta])
    y = layer(X)
    dx = layer.backward(Tensor4D.from_natural(upstream)).to_natural((784,))
    results[layer.name] = (y, dx, *layer.gradients)

for what, a, b in zip(["output", "dL/dx", "dL/dalpha", "dL/dbeta"], results[mine.name], results[builtin.name]):
    print(f"{what:>10}: mean |mine - built-in| = {np.abs(a - b).mean():.2e}   (max {np.abs(a - b).max():.2e})")
'''),
        md('''
### Comparação com o TensorFlow / Comparison with TensorFlow

*Needs TensorFlow; skipped when it is not installed.* `tf.GradientTape` gives the reference
gradients.
'''),
        code('''
if tf is None:
    print("TensorFlow is not installed: skipping the comparison with tf.keras.layers.LayerNormalization.")
else:
    tf_layer = tf.keras.layers.LayerNormalization(epsilon=1e-3)
    tf_layer.build((None, 784))
    tf_layer.set_weights([alpha, beta])                 # Keras calls them gamma and beta
    tf_x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(tf_x)
        tf_y = tf_layer(tf_x)
        tf_loss = tf.reduce_sum(tf_y * upstream)        # so that dL/dy = upstream
    tf_dx, tf_dgamma, tf_dbeta = tape.gradient(tf_loss, [tf_x, tf_layer.gamma, tf_layer.beta])
    reference = [tf_y.numpy(), tf_dx.numpy(), tf_dgamma.numpy(), tf_dbeta.numpy()]
    for what, a, b in zip(["output", "dL/dx", "dL/dalpha", "dL/dbeta"], results[mine.name], reference):
        print(f"{what:>10}: mean |mine - TensorFlow| = {np.abs(a - b).mean():.2e}   (max {np.abs(a - b).max():.2e})")
'''),
        md('''
The differences are at float32 rounding level (about 1e-7 relative): the hand-written layer,
redes' and TensorFlow's compute the same function and the same gradients.

## 3. Dados: treino, validação e teste / Data: train, validation and test
'''),
        code(FASHION_MNIST_SPLIT + '''print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)
'''),
        md('''
## 4. O modelo em duas partes / The model in two parts

The "lower" part extracts features, the "upper" part classifies. Each part is a `Sequential`
of its own, nested in the full model, so that each part's weights and gradients are at hand:
`lower.trainable_weights` and `lower.gradients` line up, and so do the upper ones. Our
hand-written layer normalization sits at the bottom of the upper part.
'''),
        code('''
lower = Sequential([layers.Flatten(), layers.Dense(100, activation="relu")], name="lower")
upper = Sequential([MyLayerNormalization(), layers.Dense(10, activation="softmax")], name="upper")
model = Sequential([layers.Input((28, 28)), lower, upper], name="two_parts")
model.summary()
'''),
        md('''
## 5. O laço de treino / The training loop

Each step draws a random mini-batch, runs the model in training mode, computes the loss and its
gradient with respect to the predictions, back-propagates (`model.backward` fills every layer's
`gradients`) and lets each optimizer update its own part. The metrics accumulate over the
epoch and are reset at its end, after the validation.
'''),
        code('''
loss_fn = losses.SparseCategoricalCrossentropy()
mean_loss = metrics.Mean(name="loss")
accuracy = metrics.SparseCategoricalAccuracy(name="accuracy")
lower_optimizer = optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
upper_optimizer = optimizers.Nadam(learning_rate=1e-3)

n_epochs = 1 if QUICK else 5
batch_size = 32
n_steps = len(x_train) // batch_size
history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

with trange(1, n_epochs + 1, desc="All epochs", mininterval=1) as epochs:
    for epoch in epochs:
        with trange(1, n_steps + 1, desc=f"Epoch {epoch}/{n_epochs}", mininterval=1) as steps:
            for step in steps:
                index = rng.integers(len(x_train), size=batch_size)
                x_batch, y_batch = x_train[index], y_train[index]
                y_pred = model(x_batch, training=True)
                loss = loss_fn(y_batch, y_pred) + sum(model.losses)
                model.backward(loss_fn.gradient(y_batch, y_pred))
                lower_optimizer.apply_gradients(zip(lower.gradients, lower.trainable_weights))
                upper_optimizer.apply_gradients(zip(upper.gradients, upper.trainable_weights))
                mean_loss.update_state(loss)
                accuracy.update_state(y_batch, y_pred)
                steps.set_postfix(loss=f"{mean_loss.result():.4f}", accuracy=f"{accuracy.result():.4f}",
                                  refresh=False)
        y_val_pred = model.predict(x_val, batch_size=500)   # inference mode
        logs = {"loss": mean_loss.result(), "accuracy": accuracy.result(),
                "val_loss": loss_fn(y_val, y_val_pred),
                "val_accuracy": float((y_val_pred.argmax(axis=1) == y_val).mean())}
        for key, value in logs.items():
            history[key].append(value)
        epochs.set_postfix({key: f"{value:.4f}" for key, value in logs.items()})
        for metric in (mean_loss, accuracy):
            metric.reset_state()
'''),
        md("## 6. Curvas de aprendizado / Learning curves"),
        code('''
plotting.plot_history(history);
'''),
        md('''
## 7. Avaliar no conjunto de teste / Evaluate on the test set

The test accuracy, and the learned scale α of our layer normalization: it moved away from its
initial value of 1.
'''),
        code('''
test_probabilities = model.predict(x_test, batch_size=500)
print(f"test loss {loss_fn(y_test, test_probabilities):.4f}, "
      f"test accuracy {(test_probabilities.argmax(axis=1) == y_test).mean():.2%}")
layer_norm = upper.layers[0]
print(f"alpha: mean {layer_norm.alpha.mean():.3f}, std {layer_norm.alpha.std():.3f}; "
      f"beta: mean {layer_norm.beta.mean():.3f}, std {layer_norm.beta.std():.3f}")
'''),
    ]


# ----------------------------------------------------------------------------------------------- 03
@notebook("03_batchnorm_cnn")
def batchnorm_cnn():
    return [
        md('''
# 03 · Normalização em lote numa CNN / Batch normalization in a CNN

The MNIST CNN of the batch-normalization notes, trained with and without `BatchNormalization`,
and a close look at what the layer does in training mode (batch statistics) and in inference
mode (moving averages).

During training, for each channel, over the batch (and the image positions):

    μ_B = mean(x),   σ²_B = mean((x − μ_B)²),   x̂ = (x − μ_B) / √(σ²_B + ε),   y = γ x̂ + β
    moving_mean ← momentum · moving_mean + (1 − momentum) · μ_B      (likewise moving_variance)

At inference, μ_B and σ²_B are replaced by the moving averages, so a prediction no longer depends
on the other images of the batch. γ (scale) and β (shift) are learned.

The full recipe (60,000 images, batch 128, 5 epochs) ends near 99% test accuracy: 98.3 to 98.7%
measured with Adam's constant learning rate, 99.1% when the rate is halved after every epoch
(`redes train --model bn-cnn --epochs 5 --lr-decay 0.5`; the README's "Presets and accuracy" says
why). On a 2-core CPU that takes a while, so this notebook trains both models on a subset of MNIST
for two epochs. Raise `N_TRAIN` and `EPOCHS` below to run the full recipe.
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP),
        md("## 2. Carregar os dados / Load the data"),
        code('''
N_TRAIN, N_TEST, EPOCHS, BATCH_SIZE = (256, 256, 1, 32) if QUICK else (5000, 2000, 2, 32)

(x_train, y_train), (x_test, y_test) = datasets.load_mnist()
x_train = datasets.scale_images(datasets.add_channel_axis(x_train))   # (60000, 28, 28, 1) float32
x_test = datasets.scale_images(datasets.add_channel_axis(x_test))
subset = rng.permutation(len(x_train))[:N_TRAIN]
x_train, y_train = x_train[subset], y_train[subset]
x_test, y_test = x_test[:N_TEST], y_test[:N_TEST]
print("train", x_train.shape, "test", x_test.shape)
'''),
        md('''
## 3. Dois modelos: com e sem BatchNorm / Two models: with and without BatchNorm

Conv2D(32, 3×3) → BN → Conv2D(64, 3×3) → BN → MaxPooling2D(2×2) → Flatten → Dense(128) → BN →
Dense(10, softmax). The model without BatchNorm is the same stack with the BN layers left out.
The convolutions before a BN layer have no bias: BN's β plays that role (and the gradient of
such a bias is exactly zero).

BN uses `momentum=0.9` here, not Keras' default 0.99: the moving averages start at mean 0 and
variance 1 and keep a share momentum^t of that start after t steps. This short run makes about
300 steps, and 0.99³⁰⁰ ≈ 5% of a variance of 1 is far more than the true variance of many of these
channels (below 0.001 for some), which wrecks inference (a first run with 0.99 reached 20% test
accuracy); 0.9³⁰⁰ is nothing. With the full recipe
(2,345 steps) the default is fine.
'''),
        code('''
def mnist_cnn(batch_norm: bool) -> Sequential:
    bn = (lambda: [layers.BatchNormalization(momentum=0.9)]) if batch_norm else (lambda: [])
    model = Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", use_bias=not batch_norm), *bn(),
        layers.Conv2D(64, 3, activation="relu", use_bias=not batch_norm), *bn(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"), *bn(),
        layers.Dense(10, activation="softmax"),
    ], name="with_bn" if batch_norm else "without_bn")
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

models = {"without BatchNorm": mnist_cnn(False), "with BatchNorm": mnist_cnn(True)}
models["with BatchNorm"].summary()
'''),
        md('''
## 4. Treinar os dois / Train both

A small callback keeps the loss of every training step, so that the curves show more than two
points. (During an epoch `fit`'s logs hold the running mean of the epoch; the loss of step k is
k·m_k − (k − 1)·m_(k−1).)
'''),
        code('''
class StepLoss(redes.callbacks.Callback):
    """The loss and accuracy of each training batch, recovered from the running means of the logs."""

    def on_train_begin(self, logs=None):
        self.loss, self.accuracy = [], []

    def on_train_batch_end(self, batch, logs=None):
        for key, values in (("loss", self.loss), ("accuracy", self.accuracy)):
            previous = self._running.get(key, 0.0) if batch > 0 else 0.0
            values.append((batch + 1) * logs[key] - batch * previous)
            self._running[key] = logs[key]

    def on_epoch_begin(self, epoch, logs=None):
        self._running = {}

histories, step_logs = {}, {}
for name, model in models.items():
    print(name)
    step_logs[name] = StepLoss()
    histories[name] = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS,
                                validation_data=(x_test, y_test), callbacks=[step_logs[name]], verbose=2)
'''),
        md('''
## 5. Curvas lado a lado / Curves side by side

Left: the training loss of every step (smoothed over 10 steps). Right: the test accuracy after
each epoch.
'''),
        code('''
def smooth(values, window=10):
    values = np.asarray(values)
    return np.convolve(values, np.ones(window) / window, mode="valid") if len(values) > window else values

fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(12, 4))
for name, color in zip(models, ("tab:blue", "tab:orange")):
    ax_loss.plot(smooth(step_logs[name].loss), color=color, label=name)
    epochs = np.arange(1, EPOCHS + 1)
    ax_accuracy.plot(epochs, histories[name].history["val_accuracy"], color=color, marker="o", label=f"{name} (test)")
    ax_accuracy.plot(epochs, histories[name].history["accuracy"], color=color, marker="o", linestyle="--",
                     label=f"{name} (train)")
ax_loss.set(title="Training loss per step", xlabel="Step", ylabel="loss")
ax_accuracy.set(title="Accuracy per epoch", xlabel="Epoch", ylabel="accuracy", xticks=epochs)
for ax in (ax_loss, ax_accuracy):
    ax.grid(True, alpha=0.3)
    ax.legend()
fig.tight_layout()
for name, model in models.items():
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    print(f"{name:>18}: test loss {loss:.4f}, test accuracy {accuracy:.2%}")
'''),
        md('''
## 6. Modo de treino e modo de inferência / Training mode vs inference mode

One batch of test images through the trained model up to its first BatchNormalization layer,
then through that layer in both modes. In training mode every channel is normalized with this
batch's own mean and variance; in inference mode with the moving averages gathered during
training. A call in training mode also updates the moving averages, so the layer's weights are
saved before and put back after. (The normalized values x̂ have a standard deviation below 1
where a channel's variance is not much larger than ε = 0.001.)
'''),
        code('''
model = models["with BatchNorm"]
bn_index = next(i for i, layer in enumerate(model.layers) if isinstance(layer, layers.BatchNormalization))
bn = model.layers[bn_index]
batch = x_test[:128]
h = batch
for layer in model.layers[:bn_index]:
    h = layer(h, training=False)                         # (128, 26, 26, 32): the first convolution's output

saved = bn.get_weights()                                 # gamma, beta, moving_mean, moving_variance
out_training = bn(h, training=True)
bn.set_weights(saved)                                    # undo the moving-average update of that call
out_inference = bn(h, training=False)

gamma, beta, moving_mean, moving_variance = saved
xhat_training = (out_training - beta) / gamma            # the normalized values, before scale and shift
xhat_inference = (out_inference - beta) / gamma
print("channel | batch mean  moving mean | batch var  moving var | x̂ mean, std (training) | (inference)")
for c in range(6):
    print(f"{c:7d} | {h[..., c].mean():10.4f} {moving_mean[c]:12.4f} | {h[..., c].var():9.4f} {moving_variance[c]:11.4f}"
          f" | {xhat_training[..., c].mean():+.3f}, {xhat_training[..., c].std():.3f}"
          f"            | {xhat_inference[..., c].mean():+.3f}, {xhat_inference[..., c].std():.3f}")
'''),
        code('''
fig, (ax_stats, ax_hist) = plt.subplots(1, 2, figsize=(12, 4))
ax_stats.scatter(moving_mean, h.mean(axis=(0, 1, 2)), label="mean")
ax_stats.scatter(moving_variance, h.var(axis=(0, 1, 2)), label="variance", marker="x")
limit = max(moving_variance.max(), h.var(axis=(0, 1, 2)).max()) * 1.05
ax_stats.plot([0, limit], [0, limit], color="grey", linewidth=1)
ax_stats.set(title="Per channel: this batch's statistics vs the moving averages",
             xlabel="moving average (inference)", ylabel="batch statistic (training)")
ax_stats.legend()
channel = 0
ax_hist.hist(xhat_training[..., channel].ravel(), bins=60, alpha=0.6, label="training mode (batch statistics)")
ax_hist.hist(xhat_inference[..., channel].ravel(), bins=60, alpha=0.6, label="inference mode (moving averages)")
ax_hist.set(title=f"Normalized values x̂ of channel {channel}", xlabel="x̂", ylabel="count", yscale="log")
ax_hist.legend()
fig.tight_layout()
'''),
        md('''
The two modes agree when the batch looks like the training data. They part when it does not:
below, a batch holding only images of the digit 1. In training mode the batch statistics are
those of ones only, which shifts every activation; in inference mode each image is treated on
its own, whatever else is in the batch.
'''),
        code('''
ones = x_test[y_test == 1][:64]
saved_all = model.get_weights()
accuracy_training = (model(ones, training=True).argmax(axis=1) == 1).mean()
model.set_weights(saved_all)                             # undo the moving-average updates
accuracy_inference = (model(ones, training=False).argmax(axis=1) == 1).mean()
print(f"a batch of {len(ones)} ones: accuracy {accuracy_training:.0%} in training mode, "
      f"{accuracy_inference:.0%} in inference mode")
'''),
    ]


# ----------------------------------------------------------------------------------------------- 04
@notebook("04_hyperparameters")
def hyperparameters():
    return [
        md('''
# 04 · Hiperparâmetros / Hyper-parameters

The notes on Keras hyper-parameters, as experiments: learning rates compared, learning-rate
schedules (exponential and linear decay), MSE against MAE on a regression task with outliers,
and L1 / L2 penalties and Dropout against overfitting.
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP),
        code('''
(x_train_full, y_train_full), (x_test, y_test) = datasets.load_fashion_mnist()
x_train_full, x_test = datasets.scale_images(x_train_full), datasets.scale_images(x_test)
(x_train_full, y_train_full), (x_val, y_val) = datasets.train_validation_split(x_train_full, y_train_full, 5000)
N_TRAIN, N_VAL, EPOCHS = (500, 200, 1) if QUICK else (10000, 5000, 8)
x_train, y_train = x_train_full[:N_TRAIN], y_train_full[:N_TRAIN]
x_val, y_val = x_val[:N_VAL], y_val[:N_VAL]
print("train", x_train.shape, "validation", x_val.shape)


def mlp(*hidden, **dense_arguments):
    """Flatten, Dense layers of the given sizes with ReLU (and ``dense_arguments``), a softmax output."""
    return Sequential([layers.Input((28, 28)), layers.Flatten(),
                       *[layers.Dense(units, activation="relu", **dense_arguments) for units in hidden],
                       layers.Dense(10, activation="softmax")])
'''),
        md('''
## 2. Taxa de aprendizado / Learning rate

The same MLP trained with Adam at four learning rates. Too small and it crawls; too large and the
steps overshoot, the loss stalls high or diverges.
'''),
        code('''
learning_rates = [1e-4, 1e-3, 1e-2, 1e-1]
lr_histories = {}
for learning_rate in learning_rates:
    redes.set_random_seed(0)                             # the same initial weights for every run
    model = mlp(64)
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    lr_histories[learning_rate] = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS,
                                            validation_data=(x_val, y_val), verbose=0).history
    print(f"learning rate {learning_rate:g}: validation accuracy {lr_histories[learning_rate]['val_accuracy'][-1]:.2%}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for learning_rate, logs in lr_histories.items():
    epochs = np.arange(1, len(logs["loss"]) + 1)
    axes[0].plot(epochs, logs["loss"], marker="o", label=f"lr = {learning_rate:g}")
    axes[1].plot(epochs, logs["val_accuracy"], marker="o", label=f"lr = {learning_rate:g}")
axes[0].set(title="Training loss", xlabel="Epoch", ylabel="loss", yscale="log")
axes[1].set(title="Validation accuracy", xlabel="Epoch", ylabel="accuracy")
for ax in axes:
    ax.grid(True, alpha=0.3)
    ax.legend()
fig.tight_layout()
'''),
        md('''
## 3. Decaimento da taxa de aprendizado / Learning-rate decay

A schedule gives the learning rate as a function of the optimizer's step; the optimizer
evaluates it before every update.

    exponential:  lr(t) = lr₀ · rate^(t / decay_steps)               (staircase: ⌊t / decay_steps⌋)
    linear:       lr(t) = (lr₀ − lr_end) · (1 − min(t, T) / T) + lr_end   (PolynomialDecay, power = 1)
'''),
        code('''
steps_per_epoch = -(-len(x_train) // 32)
total_steps = EPOCHS * steps_per_epoch
schedules = {
    "constant": lambda step: 1e-2,
    "exponential": optimizers.schedules.ExponentialDecay(1e-2, decay_steps=steps_per_epoch, decay_rate=0.5),
    "exponential, staircase": optimizers.schedules.ExponentialDecay(1e-2, decay_steps=steps_per_epoch,
                                                                    decay_rate=0.5, staircase=True),
    "linear": optimizers.schedules.PolynomialDecay(1e-2, decay_steps=total_steps, end_learning_rate=1e-4, power=1.0),
}
steps = np.arange(total_steps + 1)
fig, ax = plt.subplots(figsize=(7, 4))
for name, schedule in schedules.items():
    ax.plot(steps, [schedule(int(step)) for step in steps], label=name)
ax.set(title="Learning rate against the step", xlabel="Optimizer step", ylabel="learning rate")
ax.grid(True, alpha=0.3)
ax.legend();
'''),
        md('''
Training with them: the same MLP and Adam starting at 0.01 (a rate that is too large to finish
with), with a constant rate and with each decay.
'''),
        code('''
decay_histories = {}
for name in ("constant", "exponential", "linear"):
    redes.set_random_seed(0)
    model = mlp(64)
    learning_rate = 1e-2 if name == "constant" else schedules[name]
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    decay_histories[name] = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS,
                                      validation_data=(x_val, y_val), verbose=0).history
    print(f"{name:>12}: validation accuracy {decay_histories[name]['val_accuracy'][-1]:.2%}")

fig, ax = plt.subplots(figsize=(7, 4))
for name, logs in decay_histories.items():
    ax.plot(np.arange(1, EPOCHS + 1), logs["val_accuracy"], marker="o", label=name)
ax.set(title="Validation accuracy, Adam from lr = 0.01", xlabel="Epoch", ylabel="accuracy")
ax.grid(True, alpha=0.3)
ax.legend();
'''),
        md('''
## 4. MSE ou MAE numa regressão / MSE vs MAE on a regression task

A noisy curve, y = sin(2x) + noise, where 5% of the targets are outliers. MSE squares the
errors, so the outliers pull the fit towards them; MAE grows only linearly with the error and
the fit follows the bulk of the data (it estimates the conditional median rather than the mean).

    MSE = mean((y − ŷ)²),  ∂/∂ŷ = 2 (ŷ − y) / n        MAE = mean(|y − ŷ|),  ∂/∂ŷ = sign(ŷ − y) / n
'''),
        code('''
n_points = 200 if QUICK else 1000
x_reg = rng.uniform(-3, 3, size=(n_points, 1)).astype("float32")
y_reg = (np.sin(2 * x_reg) + rng.normal(0, 0.1, size=x_reg.shape)).astype("float32")
outliers = rng.random(n_points) < 0.05
y_reg[outliers] += rng.uniform(3, 6, size=(outliers.sum(), 1)).astype("float32")

regression_epochs = 5 if QUICK else 150
fits = {}
for loss in ("mse", "mae"):
    redes.set_random_seed(0)
    model = Sequential([layers.Input((1,)), layers.Dense(32, activation="tanh"), layers.Dense(32, activation="tanh"),
                        layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=loss)
    model.fit(x_reg, y_reg, batch_size=64, epochs=regression_epochs, verbose=0)
    fits[loss] = model

grid = np.linspace(-3, 3, 300, dtype="float32")[:, None]
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.scatter(x_reg[~outliers], y_reg[~outliers], s=6, color="grey", alpha=0.5, label="data")
ax.scatter(x_reg[outliers], y_reg[outliers], s=10, color="black", marker="x", label="outliers")
ax.plot(grid, np.sin(2 * grid), color="green", linewidth=1, linestyle=":", label="sin(2x)")
for loss, model in fits.items():
    ax.plot(grid, model.predict(grid), linewidth=2, label=f"fit with {loss.upper()}")
ax.set(title="MSE is pulled by the outliers, MAE is not", xlabel="x", ylabel="y")
ax.legend();
for loss, model in fits.items():
    error = np.abs(model.predict(grid) - np.sin(2 * grid)).mean()
    print(f"{loss.upper()}: mean distance to sin(2x) {error:.3f}")
'''),
        md('''
## 5. Regularização contra o sobreajuste / Regularization against overfitting

A wide MLP (two layers of 256) on only 1,000 images of Fashion-MNIST overfits: the training
accuracy keeps climbing while the validation loss turns up. Four variants of the same network:

- no regularization;
- L2: `kernel_regularizer=regularizers.l2(0.01)`, as in the notes: a penalty 0.01·Σw² added to
  the loss;
- L1: `regularizers.l1(5e-4)`, 0.0005·Σ|w| (it pushes weights to exactly zero);
- Dropout(0.2) after each hidden layer: in training a random 20% of the activations are zeroed
  and the rest scaled by 1/0.8; at inference the layer does nothing.
'''),
        code('''
from redes import regularizers

n_small, overfit_epochs = (200, 2) if QUICK else (1000, 30)
x_small, y_small = x_train[:n_small], y_train[:n_small]
variants = {
    "none": mlp(256, 256),
    "L2 (0.01)": mlp(256, 256, kernel_regularizer=regularizers.l2(0.01)),
    "L1 (0.0005)": mlp(256, 256, kernel_regularizer=regularizers.l1(5e-4)),
    "Dropout (0.2)": Sequential([layers.Input((28, 28)), layers.Flatten(),
                                 layers.Dense(256, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(256, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(10, activation="softmax")]),
}
regularization_histories = {}
for name, model in variants.items():
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    regularization_histories[name] = model.fit(x_small, y_small, batch_size=32, epochs=overfit_epochs,
                                               validation_data=(x_val, y_val), verbose=0).history
    train, validation = (np.mean(regularization_histories[name][key][-5:]) for key in ("accuracy", "val_accuracy"))
    cross_entropy = losses.SparseCategoricalCrossentropy()(y_val, model.predict(x_val, batch_size=500))
    print(f"{name:>14}: last 5 epochs' mean train accuracy {train:.2%}, validation accuracy {validation:.2%} "
          f"(gap {train - validation:.2%}); final validation cross-entropy {cross_entropy:.3f}")
'''),
        code('''
fig, axes = plt.subplots(2, len(variants), figsize=(4 * len(variants), 6.5), sharey="row")
for column, (name, logs) in enumerate(regularization_histories.items()):
    epochs = np.arange(1, len(logs["loss"]) + 1)
    for row, metric in enumerate(("loss", "accuracy")):
        ax = axes[row, column]
        ax.plot(epochs, logs[metric], label="train")
        ax.plot(epochs, logs[f"val_{metric}"], label="validation")
        ax.set(title=f"{name}: {metric}", xlabel="Epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
fig.tight_layout()
'''),
        md('''
With L1 or L2 the reported losses, training and validation alike, include the penalty (as in
Keras), so the curves' losses are not comparable with the unregularized model's; the final
validation cross-entropy printed above is computed without it. The unregularized network
memorizes the 1,000 images (training accuracy near 99%) and grows confident in its mistakes:
its validation cross-entropy climbs after the first epochs. L2 and L1 cut the gap between
training and validation accuracy by about a third and keep the validation cross-entropy well
lower, at the price, at these strengths, of a little validation accuracy; Dropout(0.2) sits in
between. The strength of a regularizer is itself a hyper-parameter, to tune on the validation
set. BatchNormalization, the last regularizer of the notes, is the subject of notebook 03.
'''),
    ]


# ----------------------------------------------------------------------------------------------- 05
@notebook("05_cnn_strides_augmentation")
def cnn_strides_augmentation():
    return [
        md('''
# 05 · CNN com passos e aumento de dados / A strided CNN and data augmentation

From the convolutional-networks course report: convolution as a sliding filter, the output-size
formula, a CNN that shrinks its images with strided convolutions (no pooling until a final
`GlobalMaxPooling2D`), Dropout, and data augmentation (random shifts and flips) to get more out
of a small training set. Then a look inside: the learned filters and the feature maps.

The report trained on CIFAR-10 and Fashion-MNIST; this notebook uses Fashion-MNIST
(`datasets.load_cifar10()` loads CIFAR-10 the same way, as (N, 32, 32, 3) images).
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP + "from redes import Tensor4D\n"),
        md('''
## 2. A convolução como um filtro deslizante / Convolution as a sliding filter

A 3×3 filter slides over the image; at each position the output is the sum of the products of
the filter with the pixels under it (a cross-correlation, as in every deep-learning library).
Two hand-made filters, a vertical-edge and a horizontal-edge detector (Sobel), put into a
`Conv2D` with `set_weights`:
'''),
        code('''
(x_train_full, y_train_full), (x_test, y_test) = datasets.load_fashion_mnist()
x_train_full = datasets.scale_images(datasets.add_channel_axis(x_train_full))   # (60000, 28, 28, 1)
x_test = datasets.scale_images(datasets.add_channel_axis(x_test))
class_names = list(datasets.FASHION_MNIST_CLASS_NAMES)

sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")
edges = layers.Conv2D(2, 3, padding="same", use_bias=False)
edges.build_for((28, 28, 1))
edges.set_weights([np.stack([sobel_x, sobel_x.T], axis=-1)[:, :, None, :]])   # kernel (3, 3, 1, 2)
image = x_train_full[:1]
maps = edges(image)                                                            # (1, 28, 28, 2)

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, picture, title in zip(axes, [image[0, ..., 0], maps[0, ..., 0], maps[0, ..., 1]],
                              ["image", "vertical edges", "horizontal edges"]):
    ax.imshow(picture, cmap="gray")
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
'''),
        md('''
## 3. A fórmula do tamanho da saída / The output-size formula

For an input of size n, a window k, padding p on each side and stride s:

    out = ⌊(n + 2p − k) / s⌋ + 1

'valid' means p = 0. 'same' (TensorFlow's rule) pads just enough that out = ⌈n / s⌉, putting the
odd pixel, if any, at the bottom / right. Checked against the layers' `compute_output_shape`
for convolutions and pooling:
'''),
        code('''
import math

def output_size(n, k, s, padding):
    if padding == "valid":
        return (n - k) // s + 1
    total_padding = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return math.floor((n + total_padding - k) / s) + 1      # (n + 2p − k) / s + 1, with 2p = total padding

mismatches, rows = 0, []
for n in (7, 28, 32):
    for k in (1, 2, 3, 5):
        for s in (1, 2, 3):
            for padding in ("valid", "same"):
                expected = output_size(n, k, s, padding)
                conv = layers.Conv2D(1, k, strides=s, padding=padding).compute_output_shape((n, n, 1))[0]
                pool = layers.MaxPooling2D(k, strides=s, padding=padding).compute_output_shape((n, n, 1))[0]
                mismatches += (conv != expected) + (pool != expected)
                if n == 28 and k in (3, 5):
                    rows.append(f"n={n} k={k} s={s} {padding:>5}: formula {expected:2d}, Conv2D {conv:2d}, "
                                f"MaxPooling2D {pool:2d}")
print("\\n".join(rows))
print(f"{mismatches} mismatches between the formula and the layers over 72 configurations")
'''),
        md('''
## 4. Os dados / The data

A small training set on purpose (augmentation matters most when data is scarce), the classic
validation images, and part of the test set.
'''),
        code('''
N_TRAIN, N_VAL, N_TEST, EPOCHS = (300, 200, 300, 1) if QUICK else (1000, 2000, 10000, 30)
(x_train, y_train), (x_val, y_val) = datasets.train_validation_split(x_train_full, y_train_full, 5000)
x_train, y_train, x_val, y_val = x_train[:N_TRAIN], y_train[:N_TRAIN], x_val[:N_VAL], y_val[:N_VAL]
x_test, y_test = x_test[:N_TEST], y_test[:N_TEST]
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)
'''),
        md('''
## 5. A CNN com passos / The strided CNN

Three 3×3 convolutions with stride 2 and 'same' padding halve the image each time
(28 → 14 → 7 → 4) while the filters grow (32, 64, 128). `GlobalMaxPooling2D` keeps each
channel's largest response, whatever its position, then Dropout, Dense(1024), Dropout and the
softmax output. The augmentation layers, when asked for, come first: they transform each batch
in training and do nothing at inference. Three variants: no augmentation, random left-right
flips, and flips plus random shifts (whole pixels, the uncovered border filled with black).
'''),
        code('''
def augmentation(shifts=True):
    """Random left-right flips and, if ``shifts``, random shifts of up to ±10% (±2.8 pixels)."""
    flips = [layers.RandomFlip("horizontal")]
    return flips + ([layers.RandomTranslation(0.1, 0.1, fill_mode="constant", interpolation="nearest")]
                    if shifts else [])

def strided_cnn(augment: list, name: str) -> Sequential:
    model = Sequential([
        layers.Input((28, 28, 1)),
        *augment,
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(128, 3, strides=2, padding="same", activation="relu"),
        layers.GlobalMaxPooling2D(),
        layers.Dropout(0.3),
        layers.Dense(1024, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ], name=name)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

models = {"no augmentation": strided_cnn([], "plain"),
          "flips": strided_cnn(augmentation(shifts=False), "flips"),
          "flips and shifts": strided_cnn(augmentation(), "flips_and_shifts")}
models["flips and shifts"].summary()
'''),
        md('''
## 6. Aumento de dados / Data augmentation

The augmentation layers on their own, in training mode: each call draws a new flip and shift
for every image (all at once, vectorised over the batch). The first column is the original.
'''),
        code('''
augment = Sequential([layers.Input((28, 28, 1)), *augmentation()])
originals = x_train[:4]
fig, axes = plt.subplots(4, 8, figsize=(12, 6.2))
for row, original in enumerate(originals):
    versions = augment(np.repeat(original[None], 7, axis=0), training=True)
    for column, picture in enumerate([original, *versions]):
        axes[row, column].imshow(picture[..., 0], cmap="gray")
        axes[row, column].axis("off")
    axes[row, 0].set_title(class_names[y_train[row]], fontsize=9)
fig.suptitle("Original (left) and seven augmented versions")
fig.tight_layout()
'''),
        md("## 7. Treinar / Train"),
        code('''
histories = {}
for name, model in models.items():
    print(name)
    histories[name] = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, validation_data=(x_val, y_val),
                                verbose=2)
'''),
        md('''
## 8. Curvas de perda e acurácia / Loss and accuracy curves

Train against validation, per epoch, for the three models. With augmentation the training task
is harder (a new variant of each image at every epoch), so the training curves are lower and
the gap to validation smaller.
'''),
        code('''
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, metric in zip(axes, ("loss", "accuracy")):
    for (name, history), color in zip(histories.items(), ("tab:blue", "tab:orange", "tab:green")):
        epochs = np.arange(1, len(history.history[metric]) + 1)
        ax.plot(epochs, history.history[metric], color=color, linestyle="--", marker="o", label=f"{name}, train")
        ax.plot(epochs, history.history[f"val_{metric}"], color=color, marker="o", label=f"{name}, validation")
    ax.set(title=metric.capitalize(), xlabel="Epoch", ylabel=metric)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
for name, model in models.items():
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"{name:>17}: test loss {loss:.4f}, test accuracy {accuracy:.2%}")
'''),
        md('''
An augmentation pays when it makes images like those the model will meet. Fashion-MNIST's
items are centred and upright, as in its test set: a left-right flip is a plausible garment and,
on this small training set, it narrows the gap between training and validation and lowers the
test loss at about the same test accuracy, while shifts make the task harder than the test (the shifted model's training accuracy stays below its validation
accuracy: it is still learning after 30 epochs). Shifts earn their keep on data whose objects
move, or with longer training, and on CIFAR-10 both kinds are standard.

## 9. Matriz de confusão e erros / Confusion matrix and mistakes

For the model trained with flips.
'''),
        code('''
model = models["flips"]
probabilities = model.predict(x_test, batch_size=500)
plotting.plot_confusion_matrix(y_test, probabilities, class_names=class_names, normalize=True);
'''),
        code('''
wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_test)
plotting.plot_predictions(x_test[wrong], y_test[wrong], probabilities[wrong], class_names=class_names, n=16);
'''),
        md('''
## 10. Filtros e mapas de características / Filters and feature maps

The 32 filters of the first convolution (3×3 each), then what three layers make of one test
image: the first convolution's 32 maps (14×14), the second's 64 (7×7) and the third's 128 (4×4).
'''),
        code('''
plotting.plot_filters(model);
'''),
        code('''
conv_indices = [i for i, layer in enumerate(model.layers) if isinstance(layer, layers.Conv2D)]
print("Conv2D layers at indices", conv_indices, "of model.layers (after the RandomFlip layer)")
plt.figure(figsize=(2.5, 2.5))
plt.imshow(x_test[0, ..., 0], cmap="gray")
plt.title(class_names[y_test[0]])
plt.axis("off")
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[0]);
'''),
        code('''
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[1]);
'''),
        code('''
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[2]);
'''),
    ]


# ----------------------------------------------------------------------------------------------- 06
@notebook("06_gradients_vs_tensorflow")
def gradients_vs_tensorflow():
    def case(title: str, math: str, call: str):
        return [md(f"## {title}\n\n{math.strip()}"), code(call)]

    return [
        md('''
# 06 · Gradientes comparados com o TensorFlow / Gradients compared with TensorFlow

Every redes layer computes its backward pass by hand. For each layer this notebook gives the
rule in a few lines of math and checks it two ways:

- against **central differences** in float64 (no TensorFlow needed): for a few random entries
  of the input and of each weight, (L(w + h) − L(w − h)) / 2h;
- against **TensorFlow's** `GradientTape` on the same input and the same weights, in float32.
  *The cells that need TensorFlow say so and skip cleanly when it is not installed.*

In both, the loss is L = Σ y ⊙ G for a fixed random G, so that ∂L/∂y = G is the "upstream"
gradient handed to `backward`.
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP + "from redes import Tensor4D\n"),
        code(TF_IMPORT),
        md('''
## 2. As ferramentas / The tools

`ours` runs one redes layer forward and backward; `numeric` perturbs a few entries in float64;
`theirs` does the same computation in TensorFlow. Each check prints the largest difference
relative to the largest value.
'''),
        code('''
WEIGHT_NAMES = {"Dense": ["kernel", "bias"], "Conv2D": ["kernel", "bias"], "BatchNormalization": ["gamma", "beta"],
                "LayerNormalization": ["gamma", "beta"]}   # trainable weights, in Keras order


def ours(layer, x, upstream, training=True):
    """Output, dL/dx and the weights' gradients (in trainable_weights order) of one redes layer."""
    y = layer(x, training=training)
    dx = layer.backward(Tensor4D.from_natural(upstream.astype(y.dtype))).to_natural(x.shape[1:])
    return [y, dx, *layer.gradients]


def built(make_layer, x, weights=None, dtype="float32"):
    """A redes layer built for ``x`` and given ``weights`` (Keras order), in ``dtype``."""
    layer = make_layer(dtype=dtype)
    layer(x.astype(dtype))                               # builds it
    if weights is not None:
        layer.set_weights([w.astype(dtype) for w in weights])
    return layer


def numeric(make_layer, x, weights, upstream, training=True, entries=5, h=1e-6):
    """Largest relative error of ours against central differences, in float64, over a few entries."""
    x64, upstream64 = x.astype("float64"), upstream.astype("float64")
    layer = built(make_layer, x64, weights, "float64")
    analytic = ours(layer, x64, upstream64, training)[1:]
    arrays = [x64, *layer.trainable_weights]             # perturbed in place
    worst = 0.0
    for array, gradient in zip(arrays, analytic):
        for flat in rng.choice(array.size, size=min(entries, array.size), replace=False):
            index = np.unravel_index(flat, array.shape)
            original = array[index]
            array[index] = original + h
            plus = (layer(x64, training=training) * upstream64).sum()
            array[index] = original - h
            minus = (layer(x64, training=training) * upstream64).sum()
            array[index] = original
            estimate = (plus - minus) / (2 * h)
            worst = max(worst, abs(estimate - gradient[index]) / max(1.0, abs(estimate)))
    return worst


def theirs(tf_layer, x, weights, upstream, training=True):
    """The same quantities from TensorFlow: output, dL/dx, dL/d(trainable weights)."""
    tf_layer.build(x.shape)
    if weights is not None:
        tf_layer.set_weights(weights)
    tf_x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tf_x)
        y = tf_layer(tf_x, training=training)
        loss = tf.reduce_sum(y * upstream)
    gradients = tape.gradient(loss, [tf_x, *tf_layer.trainable_weights])
    return [y.numpy(), *[g.numpy() for g in gradients]]


def check(name, make_layer, x, weights=None, make_tf_layer=None, training=True):
    """Print our gradients' agreement with central differences and, if installed, with TensorFlow."""
    layer = built(make_layer, x, weights)
    upstream = rng.normal(size=layer(x, training=training).shape).astype("float32")
    mine = ours(layer, x, upstream, training)
    labels = ["output", "dL/dx"] + [f"dL/d{w}" for w in WEIGHT_NAMES.get(type(layer).__name__, [])]
    print(f"{name}: central differences (float64), largest relative error "
          f"{numeric(make_layer, x, weights, upstream, training):.1e}")
    if tf is None:
        print("  TensorFlow is not installed: skipping the comparison with TensorFlow.")
        return
    reference = theirs(make_tf_layer(), x, weights, upstream, training)
    for label, a, b in zip(labels, mine, reference):
        error = np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)
        print(f"  vs TensorFlow {label:>22}: largest difference / largest value = {error:.1e}")

x_flat = rng.normal(size=(16, 12)).astype("float32")
x_image = rng.normal(size=(4, 9, 9, 3)).astype("float32")
'''),
        *case("3. Dense", '''
With z = xW + b and y = act(z), the activation's vector-Jacobian product first
(g = act′(z) ⊙ G for an element-wise activation), then

    ∂L/∂W = xᵀ g,   ∂L/∂b = Σ_batch g,   ∂L/∂x = g Wᵀ
''', '''
W, b = rng.normal(size=(12, 5)).astype("float32"), rng.normal(size=5).astype("float32")
for activation in ("linear", "relu", "tanh", "sigmoid", "gelu"):
    check(f"Dense, {activation}", lambda **kw: layers.Dense(5, activation=activation, **kw), x_flat, [W, b],
          lambda: tf.keras.layers.Dense(5, activation=activation))
'''),
        *case("4. Softmax", '''
s = softmax(z), s_i = e^(z_i) / Σ_j e^(z_j). Its Jacobian is diag(s) − s sᵀ, so the backward pass
never builds it:

    ∂L/∂z = s ⊙ (G − Σ_j G_j s_j)

(After a softmax output trained with cross-entropy, `fit` skips this and uses
∂L/∂z = (s − onehot(y)) / N directly, from the logits; see section 10.)
''', '''
check("Dense, softmax", lambda **kw: layers.Dense(5, activation="softmax", **kw), x_flat, [W, b],
      lambda: tf.keras.layers.Dense(5, activation="softmax"))
'''),
        *case("5. Conv2D", '''
A cross-correlation: y[n, i, j, f] = Σ_(a, b, c) x[n, i·s + a, j·s + b, c] · W[a, b, c, f] + b_f.
redes lays out the patches as the rows of a matrix X (im2col), so that Y = X W₂ with
W₂ = W reshaped to (kh·kw·C, F). With g the gradient after the activation:

    ∂L/∂W₂ = Xᵀ g,   ∂L/∂b = Σ g,   ∂L/∂x = g W₂ᵀ scattered back to the windows it came from

(the scatter is a "full" convolution of g with the flipped kernel). Checked with strides 1 and 2,
'valid' and 'same' padding.
''', '''
kernel, bias = rng.normal(size=(3, 3, 3, 4)).astype("float32"), rng.normal(size=4).astype("float32")
for strides, padding in ((1, "valid"), (2, "same"), (2, "valid")):
    check(f"Conv2D strides={strides}, padding={padding}",
          lambda **kw: layers.Conv2D(4, 3, strides=strides, padding=padding, activation="relu", **kw),
          x_image, [kernel, bias], lambda: tf.keras.layers.Conv2D(4, 3, strides=strides, padding=padding,
                                                                  activation="relu"))
'''),
        *case("6. Pooling", '''
Max pooling passes each window's gradient to the position of its maximum (and 0 elsewhere);
average pooling spreads it evenly, g / (number of inputs in the window). The global versions do
the same over the whole image of each channel.

    max:      ∂L/∂x[p] = Σ_windows G[window] · [p = argmax of the window]
    average:  ∂L/∂x[p] = Σ_windows containing p  G[window] / |window|
''', '''
for name, make, make_tf in [
    ("MaxPooling2D 2×2", lambda **kw: layers.MaxPooling2D(2, **kw), lambda: tf.keras.layers.MaxPooling2D(2)),
    ("MaxPooling2D 3×3, strides 2, same", lambda **kw: layers.MaxPooling2D(3, strides=2, padding="same", **kw),
     lambda: tf.keras.layers.MaxPooling2D(3, strides=2, padding="same")),
    ("AveragePooling2D 2×2", lambda **kw: layers.AveragePooling2D(2, **kw),
     lambda: tf.keras.layers.AveragePooling2D(2)),
    ("AveragePooling2D 3×3, same", lambda **kw: layers.AveragePooling2D(3, strides=2, padding="same", **kw),
     lambda: tf.keras.layers.AveragePooling2D(3, strides=2, padding="same")),
    ("GlobalMaxPooling2D", lambda **kw: layers.GlobalMaxPooling2D(**kw), lambda: tf.keras.layers.GlobalMaxPooling2D()),
    ("GlobalAveragePooling2D", lambda **kw: layers.GlobalAveragePooling2D(**kw),
     lambda: tf.keras.layers.GlobalAveragePooling2D()),
]:
    check(name, make, x_image, None, make_tf)
'''),
        *case("7. BatchNormalization", '''
In training mode, per channel over the M = batch·height·width values, with x̂ the normalized input:

    ∂L/∂γ = Σ G ⊙ x̂,   ∂L/∂β = Σ G,   ∂L/∂x = γ / (M √(σ² + ε)) · (M G − ∂L/∂β − x̂ ⊙ ∂L/∂γ)

The last two terms are there because μ and σ² depend on every input of the batch. In inference
mode μ and σ² are constants (the moving averages) and ∂L/∂x = γ G / √(σ² + ε).
''', '''
bn_weights = [rng.uniform(0.5, 1.5, 3).astype("float32"), rng.normal(size=3).astype("float32"),
              rng.normal(size=3).astype("float32"), rng.uniform(0.5, 2.0, 3).astype("float32")]
for training in (True, False):
    check(f"BatchNormalization, training={training}", lambda **kw: layers.BatchNormalization(**kw), x_image,
          bn_weights, lambda: tf.keras.layers.BatchNormalization(), training=training)
'''),
        *case("8. LayerNormalization", '''
The same normalization, over each sample's features instead of over the batch. With h = γ ⊙ G
and means over the c features of one position:

    ∂L/∂γ = Σ_rows G ⊙ x̂,   ∂L/∂β = Σ_rows G,   ∂L/∂x = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)
''', '''
ln_weights = [rng.uniform(0.5, 1.5, 12).astype("float32"), rng.normal(size=12).astype("float32")]
check("LayerNormalization", lambda **kw: layers.LayerNormalization(**kw), x_flat, ln_weights,
      lambda: tf.keras.layers.LayerNormalization())
'''),
        md('''
## 9. Dropout, Flatten

Dropout keeps the mask m it drew in the forward pass (m = [u ≥ rate] / (1 − rate)) and reuses
it: ∂L/∂x = G ⊙ m. A random mask cannot be compared with TensorFlow's, so the check is that the
backward pass multiplies by exactly the mask of the forward one. Flatten and Reshape only reshape
the gradient back.
'''),
        code('''
dropout = layers.Dropout(0.3, seed=0)
y = dropout(x_image, training=True)
mask = np.where(x_image != 0, y / x_image, 0)            # 0 or 1 / (1 - rate)
upstream = rng.normal(size=y.shape).astype("float32")
dx = dropout.backward(Tensor4D(upstream)).data
print(f"Dropout: kept fraction {np.mean(mask > 0):.2f} (expected 0.70), mask values {np.unique(mask.round(4))}, "
      f"dL/dx == G * mask: {np.allclose(dx, upstream * mask)}")
print("Dropout at inference returns its input unchanged:", np.array_equal(dropout(x_image), x_image))
check("Flatten", lambda **kw: layers.Flatten(**kw), x_image, None, lambda: tf.keras.layers.Flatten())
'''),
        md('''
## 10. Perdas / Losses

The gradients of the losses with respect to the predictions, against TensorFlow's (*needs
TensorFlow*). For a softmax output with cross-entropy, Keras and redes both compute from the
logits: ∂L/∂z = (softmax(z) − onehot(y)) / N.

    MSE: 2 (ŷ − y) / (N·k)     MAE: sign(ŷ − y) / (N·k)     BCE: (ŷ − y) / (ŷ (1 − ŷ) N·k)
'''),
        code('''
y_true = rng.integers(0, 5, size=16)
logits = rng.normal(size=(16, 5)).astype("float32")
probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
targets = rng.normal(size=(16, 5)).astype("float32")
binary_targets = rng.integers(0, 2, size=(16, 5)).astype("float32")
sigmoid = (1 / (1 + np.exp(-logits))).astype("float32")
cases = [("mean_squared_error", targets, logits), ("mean_absolute_error", targets, logits),
         ("binary_crossentropy", binary_targets, sigmoid),
         ("sparse_categorical_crossentropy", y_true, probabilities)]
if tf is None:
    print("TensorFlow is not installed: skipping the comparison of the losses with TensorFlow.")
else:
    for name, target, prediction in cases:
        ours_loss = losses.get(name)
        tf_loss = {"mean_squared_error": tf.keras.losses.MeanSquaredError(),
                   "mean_absolute_error": tf.keras.losses.MeanAbsoluteError(),
                   "binary_crossentropy": tf.keras.losses.BinaryCrossentropy(),
                   "sparse_categorical_crossentropy": tf.keras.losses.SparseCategoricalCrossentropy()}[name]
        tf_prediction = tf.constant(prediction)
        with tf.GradientTape() as tape:
            tape.watch(tf_prediction)
            value = tf_loss(target, tf_prediction)
        reference = tape.gradient(value, tf_prediction).numpy()
        gradient = ours_loss.gradient(target, prediction)
        print(f"{name:>32}: loss {ours_loss(target, prediction):.6f} vs {float(value):.6f}, "
              f"gradient: largest difference / largest value = "
              f"{np.abs(gradient - reference).max() / np.abs(reference).max():.1e}")
    tf_logits = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(tf_logits)
        value = tf.keras.losses.sparse_categorical_crossentropy(y_true, tf_logits, from_logits=True)
        value = tf.reduce_mean(value)
    fused = (probabilities - np.eye(5)[y_true]) / len(y_true)
    print(f"{'softmax + cross-entropy, dL/dz':>32}: (softmax(z) - onehot(y)) / N vs TensorFlow: largest difference "
          f"{np.abs(fused - tape.gradient(value, tf_logits).numpy()).max():.1e}")
'''),
        md('''
## 11. Um modelo inteiro / A whole model

A small CNN with every kind of layer above, the same weights in redes and in Keras, one batch:
the gradients of the loss with respect to every weight (*needs TensorFlow*).
'''),
        code('''
def small_cnn_layers(module):
    return [module.Conv2D(8, 3, activation="relu"), module.BatchNormalization(), module.MaxPooling2D(2),
            module.Conv2D(16, 3, strides=2, padding="same", activation="relu"), module.Flatten(),
            module.Dense(32, activation="tanh"), module.LayerNormalization(), module.Dense(10, activation="softmax")]

x_batch = rng.normal(size=(32, 16, 16, 1)).astype("float32")
y_batch = rng.integers(0, 10, size=32)
model = Sequential([layers.Input((16, 16, 1)), *small_cnn_layers(layers)])
loss_fn = losses.SparseCategoricalCrossentropy()
y_pred = model(x_batch, training=True)
model.backward(loss_fn.gradient(y_batch, y_pred))
names = [f"{layer.name}.{w}" for layer in model.layers for w in WEIGHT_NAMES.get(type(layer).__name__, [])]

if tf is None:
    print("TensorFlow is not installed: skipping the whole-model comparison.")
else:
    keras_model = tf.keras.Sequential([tf.keras.Input((16, 16, 1)), *small_cnn_layers(tf.keras.layers)])
    keras_model.set_weights(model.get_weights())
    with tf.GradientTape() as tape:
        keras_pred = keras_model(x_batch, training=True)
        keras_loss = tf.keras.losses.SparseCategoricalCrossentropy()(y_batch, keras_pred)
    keras_gradients = tape.gradient(keras_loss, keras_model.trainable_weights)
    print(f"loss: redes {loss_fn(y_batch, y_pred):.6f}, Keras {float(keras_loss):.6f}")
    for name, ours_gradient, keras_gradient in zip(names, model.gradients, keras_gradients):
        keras_gradient = keras_gradient.numpy()
        error = np.abs(ours_gradient - keras_gradient).max() / np.abs(keras_gradient).max()
        print(f"  {name:>28} {str(ours_gradient.shape):>15}: largest difference / largest value = {error:.1e}")
'''),
        md('''
Everything agrees to float32 precision: about 1e-7 of the largest value layer by layer, about
1e-5 over the whole model (rounding accumulates through eight layers, and a bias before
BatchNormalization has a true gradient of zero, so what is left of it is rounding), and the
central differences in float64 to about 1e-8. The parity tests in `tests/parity/` run the same
comparisons on random shapes and configurations.
'''),
    ]


# ----------------------------------------------------------------------------------------------- 07
@notebook("07_rede_neural")
def rede_neural():
    return [
        md('''
# 07 · RedeNeural: o MLP da biblioteca Java / RedeNeural: the Java library's MLP

`RedeNeural` is the dense-only multilayer perceptron of the Java "Biblioteca de Redes Neurais",
given by its layer sizes. In redes it is a `Sequential` of `Input` and `Dense` layers, so it has
the whole Keras API (`compile`, `fit`, `evaluate`, `predict`, `summary`, weights), plus the Java
conveniences: `print(net)`, `count_params()`, `clone()` and `loss_history`.

As in the Java library's examples: the XOR gate, a regression, and classification (a 2-D
toy problem and MNIST digits).
'''),
        md("## 1. Configuração / Setup"),
        code(SETUP + "from redes import RedeNeural\n"),
        md('''
## 2. A porta XOR / The XOR gate

The smallest problem a single layer cannot solve: 2 inputs, a hidden layer of 4 tanh units and
one sigmoid output, trained with plain gradient descent (`"gd"`, one step per pass over the four
examples) on the mean squared error, as in the Java example.
'''),
        code('''
x_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y_xor = np.array([[0], [1], [1], [0]], dtype="float32")

net = RedeNeural([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=1)
print(net)
net.compile(optimizer=optimizers.GD(learning_rate=0.5), loss="mse")
net.fit(x_xor, y_xor, batch_size=len(x_xor), epochs=300 if QUICK else 3000, verbose=0)
for inputs, output in zip(x_xor, net.predict(x_xor)):
    print(f"{inputs.astype(int)} -> {output[0]:.3f}")
'''),
        code('''
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(net.loss_history)
ax.set(title="XOR: loss per epoch (net.loss_history)", xlabel="Epoch", ylabel="MSE", yscale="log")
ax.grid(True, alpha=0.3);
'''),
        md('''
## 3. Regressão / Regression

y = x · sin(x) on [−2π, 2π], with a little noise: one input, two hidden layers of 32 tanh units,
a linear output, Adam and the mean squared error.
'''),
        code('''
x_reg = np.sort(rng.uniform(-2 * np.pi, 2 * np.pi, size=(512, 1)), axis=0).astype("float32")
y_reg = (x_reg * np.sin(x_reg) + rng.normal(0, 0.2, size=x_reg.shape)).astype("float32")
x_scaled = x_reg / (2 * np.pi)                           # inputs in [-1, 1]

regressor = RedeNeural([1, 32, 32, 1], activation="tanh", seed=0)
regressor.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
regressor.fit(x_scaled, y_reg, batch_size=32, epochs=30 if QUICK else 300, verbose=0)
mse, mae = regressor.evaluate(x_scaled, y_reg, verbose=0)
print(f"training MSE {mse:.4f}, MAE {mae:.4f}")

fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(12, 4))
ax_fit.scatter(x_reg, y_reg, s=5, color="grey", alpha=0.6, label="data")
ax_fit.plot(x_reg, x_reg * np.sin(x_reg), color="green", linestyle=":", label="x·sin(x)")
ax_fit.plot(x_reg, regressor.predict(x_scaled), linewidth=2, label="RedeNeural")
ax_fit.set(title="Regression", xlabel="x", ylabel="y")
ax_fit.legend()
ax_loss.plot(regressor.loss_history)
ax_loss.set(title="Loss per epoch", xlabel="Epoch", ylabel="MSE", yscale="log")
ax_loss.grid(True, alpha=0.3)
fig.tight_layout()
'''),
        md('''
## 4. Classificação: três espirais / Classification: three spirals

Three interleaved spirals in the plane, one class each: a softmax output and the sparse
categorical cross-entropy. The background shows the class the network predicts at each point.
'''),
        code('''
def spirals(points_per_class, classes=3, noise=0.2):
    radius = np.tile(np.linspace(0.05, 1, points_per_class), classes)
    label = np.repeat(np.arange(classes), points_per_class)
    angle = label * 2 * np.pi / classes + radius * 4 + rng.normal(0, noise, radius.size)
    points = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]).astype("float32")
    return points, label

x_spiral, y_spiral = spirals(300)
classifier = RedeNeural([2, 64, 64, 3], activation="relu", output_activation="softmax", seed=0)
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
classifier.fit(x_spiral, y_spiral, batch_size=32, epochs=20 if QUICK else 200, verbose=0)
print(f"training accuracy {classifier.evaluate(x_spiral, y_spiral, verbose=0)[1]:.2%}")

grid_x, grid_y = np.meshgrid(np.linspace(-1.1, 1.1, 200), np.linspace(-1.1, 1.1, 200))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype("float32")
regions = classifier.predict(grid, batch_size=4096).argmax(axis=1).reshape(grid_x.shape)
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.contourf(grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["#f6c8c8", "#c8d8f6", "#c8f0c8"])
ax.scatter(*x_spiral.T, c=np.array(["tab:red", "tab:blue", "tab:green"])[y_spiral], s=8)
ax.set(title="Three spirals: decision regions", xticks=[], yticks=[]);
'''),
        md('''
## 5. Classificação: dígitos MNIST / Classification: MNIST digits

The Java library's classic: `RedeNeural([784, 128, 64, 10])` on flattened MNIST images.
'''),
        code('''
(x_train, y_train), (x_test, y_test) = datasets.load_mnist()
x_train = datasets.scale_images(x_train).reshape(-1, 784)
x_test = datasets.scale_images(x_test).reshape(-1, 784)
if QUICK:
    x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], y_test[:500]

digits = RedeNeural([784, 128, 64, 10], activation="relu", output_activation="softmax", seed=0)
print(f"{digits.count_params():,} parameters")
digits.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
digits.fit(x_train, y_train, batch_size=64, epochs=1 if QUICK else 3, validation_split=0.1, verbose=2)
test_loss, test_accuracy = digits.evaluate(x_test, y_test, batch_size=500, verbose=0)
print(f"test accuracy {test_accuracy:.2%}")
plotting.plot_confusion_matrix(y_test, digits.predict(x_test, batch_size=500));
'''),
        md('''
## 6. Copiar a rede / Cloning the network

`clone()` copies the architecture and the weights into new arrays: training the copy leaves the
original as it was.
'''),
        code('''
twin = digits.clone()
print("same predictions:", np.array_equal(twin.predict(x_test[:100]), digits.predict(x_test[:100])))
twin.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
twin.fit(x_train[:1000], y_train[:1000], epochs=1, verbose=0)
print("after training the twin, same predictions:",
      np.array_equal(twin.predict(x_test[:100]), digits.predict(x_test[:100])))
print(f"the original still has its test accuracy: {digits.evaluate(x_test, y_test, verbose=0)[1]:.2%}")
'''),
    ]


# ------------------------------------------------------------------------------------------ build
_CONTROL = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")


def _terminal_text(text: str) -> str:
    """What a terminal shows after printing ``text``: carriage returns, newlines and cursor-up moves
    (tqdm's nested bars) applied to a screen of lines; other ANSI sequences dropped."""
    screen, row, column = [""], 0, 0
    for token in _CONTROL.split(text):
        if token == "\n":
            row, column = row + 1, 0
            if row == len(screen):
                screen.append("")
        elif token == "\r":
            column = 0
        elif token.startswith("\x1b["):
            if token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
        elif token:
            line = screen[row].ljust(column)
            screen[row] = line[:column] + token + line[column + len(token):]
            column += len(token)
    return "\n".join(line.rstrip() for line in screen)


def _clean_outputs(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _terminal_text(output["text"]).lstrip("\n")
        cell["outputs"] = [o for o in cell.get("outputs", [])
                           if not (o.get("output_type") == "stream" and not o["text"].strip())]


def build(name: str):
    nb = new_notebook(cells=NOTEBOOKS[name](), metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    })
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"      # stable ids: rebuilding changes nothing
    return nb


def execute(nb):
    """Run ``nb`` in full mode in notebooks/ with the python3 kernel of this interpreter."""
    from nbclient import NotebookClient

    os.environ.pop("REDES_QUICK", None)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see the README: far faster on a busy CPU
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", coalesce_streams=True,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()
    _clean_outputs(nb)
    return nb


def refresh_markdown(name: str):
    """The committed notebook with the generator's markdown cells; its code cells (and outputs) kept.

    For prose-only edits: refuses when a code cell differs from the generator's (rerun that notebook).
    """
    committed, generated = nbformat.read(HERE / f"{name}.ipynb", as_version=4), build(name)
    kinds = [(c.cell_type, c.source if c.cell_type == "code" else None) for c in committed.cells]
    if kinds != [(c.cell_type, c.source if c.cell_type == "code" else None) for c in generated.cells]:
        raise SystemExit(f"{name}: code cells changed since the last run; execute it again")
    for old, new in zip(committed.cells, generated.cells):
        if old.cell_type == "markdown":
            old.source = new.source
    return committed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run the notebooks (full mode) and keep outputs")
    parser.add_argument("--markdown", action="store_true",
                        help="update only the markdown cells of the committed notebooks, keeping their outputs")
    parser.add_argument("names", nargs="*", help="notebook numbers or names (default: all)")
    args = parser.parse_args(argv)
    names = [n for n in NOTEBOOKS if not args.names or any(n.startswith(p) for p in args.names)]
    for name in names:
        nb = refresh_markdown(name) if args.markdown else build(name)
        if args.execute:
            started = time.perf_counter()
            execute(nb)
            print(f"{name}: executed in {time.perf_counter() - started:.0f} s", flush=True)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb", flush=True)


if __name__ == "__main__":
    sys.exit(main())
