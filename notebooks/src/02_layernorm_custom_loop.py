# %% [markdown]
# # 02 · LayerNormalization própria e laço de treino personalizado / A custom LayerNormalization and a custom training loop
#
# Two things from a classic Keras exercise, redone in redes:
#
# 1. a LayerNormalization written here, in the notebook, as a redes layer (forward *and*
#    backward), checked against redes' built-in layer and, when it is installed, TensorFlow's;
# 2. a training loop written by hand on Fashion-MNIST: random mini-batches, SGD with Nesterov
#    momentum for the lower layers and Nadam for the upper ones, progress bars per step and per
#    epoch, validation after every epoch, metrics reset at the end of each epoch.

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import numpy as np

from _shared import QUICK, redes   # notebooks/_shared.py: quick mode, and redes from this clone if not installed
from redes import Sequential, Tensor4D, datasets, layers, losses, metrics, optimizers, plotting
from tqdm.auto import trange

redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %%
from _shared import tensorflow_or_none, tf_vjp

tf = tensorflow_or_none()   # None when TensorFlow is not installed: the cells that need it skip


# %% [markdown]
# ## 2. Uma LayerNormalization escrita à mão / A hand-written LayerNormalization
#
# For each sample (each row x of c features), with a learned scale α and offset β per feature:
#
#     μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + ε),   y = α ⊙ x̂ + β
#
# Backward, with g = ∂L/∂y and h = α ⊙ g (means over the c features of the row):
#
#     ∂L/∂α = Σ_rows g ⊙ x̂,   ∂L/∂β = Σ_rows g,   ∂L/∂x = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)
#
# A redes layer creates its weights in `build` (from the input's feature shape), computes in
# `forward` on a `Tensor4D` (NHWC data; flat data is `(N, 1, 1, c)`) and, in `backward`, stores the
# weights' gradients and returns ∂L/∂x.

# %%
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


# %% [markdown]
# ### Comparação com a camada embutida / Comparison with the built-in layer
#
# The same random α and β in both layers, a batch of flattened images, and a random upstream
# gradient for the backward pass.

# %%
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

# %% [markdown]
# ### Comparação com o TensorFlow / Comparison with TensorFlow
#
# *Needs TensorFlow; skipped when it is not installed.* `tf.GradientTape` gives the reference
# gradients: `tf_vjp` (in `notebooks/_shared.py`, which the parity tests use too) returns
# TensorFlow's output and the gradients of Σ y ⊙ upstream with respect to the input and the weights.

# %%
if tf is None:
    print("TensorFlow is not installed: skipping the comparison with tf.keras.layers.LayerNormalization.")
else:
    tf_layer = tf.keras.layers.LayerNormalization(epsilon=1e-3)
    tf_layer.build((None, 784))
    tf_layer.set_weights([alpha, beta])                 # Keras calls them gamma and beta
    reference = tf_vjp(tf, tf_layer, X, upstream)       # y, dL/dx, dL/dgamma, dL/dbeta
    for what, a, b in zip(["output", "dL/dx", "dL/dalpha", "dL/dbeta"], results[mine.name], reference):
        print(f"{what:>10}: mean |mine - TensorFlow| = {np.abs(a - b).mean():.2e}   (max {np.abs(a - b).max():.2e})")

# %% [markdown]
# The differences are at float32 rounding level (about 1e-7 relative): the hand-written layer,
# redes' and TensorFlow's compute the same function and the same gradients.
#
# ## 3. Dados: treino, validação e teste / Data: train, validation and test

# %%
from _shared import fashion_mnist_split

(x_train, y_train), (x_val, y_val), (x_test, y_test) = fashion_mnist_split()
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)

# %% [markdown]
# ## 4. O modelo em duas partes / The model in two parts
#
# The "lower" part extracts features, the "upper" part classifies. Each part is a `Sequential`
# of its own, nested in the full model, so that each part's weights and gradients are at hand:
# `lower.trainable_weights` and `lower.gradients` line up, and so do the upper ones. Our
# hand-written layer normalization sits at the bottom of the upper part.

# %%
lower = Sequential([layers.Flatten(), layers.Dense(100, activation="relu")], name="lower")
upper = Sequential([MyLayerNormalization(), layers.Dense(10, activation="softmax")], name="upper")
model = Sequential([layers.Input((28, 28)), lower, upper], name="two_parts")
model.summary()

# %% [markdown]
# ## 5. O laço de treino / The training loop
#
# Each step draws a random mini-batch, runs the model in training mode, computes the loss and its
# gradient with respect to the predictions, back-propagates (`model.backward` fills every layer's
# `gradients`) and lets each optimizer update its own part. The metrics accumulate over the
# epoch and are reset at its end, after the validation.

# %%
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

# %% [markdown]
# ## 6. Curvas de aprendizado / Learning curves

# %%
plotting.plot_history(history);

# %% [markdown]
# ## 7. Avaliar no conjunto de teste / Evaluate on the test set
#
# The test accuracy, and the learned scale α of our layer normalization: it moved away from its
# initial value of 1.

# %%
test_probabilities = model.predict(x_test, batch_size=500)
print(f"test loss {loss_fn(y_test, test_probabilities):.4f}, "
      f"test accuracy {(test_probabilities.argmax(axis=1) == y_test).mean():.2%}")
layer_norm = upper.layers[0]
print(f"alpha: mean {layer_norm.alpha.mean():.3f}, std {layer_norm.alpha.std():.3f}; "
      f"beta: mean {layer_norm.beta.mean():.3f}, std {layer_norm.beta.std():.3f}")
