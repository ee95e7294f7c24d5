# %% [markdown]
# # 06 · Gradientes comparados com o TensorFlow / Gradients compared with TensorFlow
#
# Every redes layer computes its backward pass by hand. For each layer this notebook gives the
# rule in a few lines of math and checks it two ways:
#
# - against **central differences** in float64 (no TensorFlow needed): for a few random entries
#   of the input and of each weight, (L(w + h) − L(w − h)) / 2h;
# - against **TensorFlow's** `GradientTape` on the same input and the same weights, in float32.
#   *The cells that need TensorFlow say so and skip cleanly when it is not installed.*
#
# In both, the loss is L = Σ y ⊙ G for a fixed random G, so that ∂L/∂y = G is the "upstream"
# gradient handed to `backward`.

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import numpy as np

from _shared import QUICK, redes   # notebooks/_shared.py: quick mode, and redes from this clone if not installed
from redes import Sequential, Tensor4D, layers, losses

redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %%
from _shared import numerical_gradient, tensorflow_or_none, tf_vjp

tf = tensorflow_or_none()   # None when TensorFlow is not installed: the cells that need it skip

# %% [markdown]
# ## 2. As ferramentas / The tools
#
# `ours` runs one redes layer forward and backward; `numeric` perturbs a few entries in float64;
# `theirs` does the same computation in TensorFlow. Each check prints the largest difference
# relative to the largest value. The central differences (`numerical_gradient`) and the
# `GradientTape` block (`tf_vjp`) come from `notebooks/_shared.py`: the gradient and parity tests
# use the same two functions.

# %%
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


def numeric(make_layer, x, weights, upstream, training=True, entries=5):
    """Largest relative error of ours against central differences, in float64, over a few entries."""
    x64, upstream64 = x.astype("float64"), upstream.astype("float64")
    layer = built(make_layer, x64, weights, "float64")
    analytic = ours(layer, x64, upstream64, training)[1:]

    def loss():
        return (layer(x64, training=training) * upstream64).sum()

    worst = 0.0
    for array, gradient in zip([x64, *layer.trainable_weights], analytic):   # each perturbed in place
        flat = rng.choice(array.size, size=min(entries, array.size), replace=False)
        estimate = numerical_gradient(loss, array, indices=flat).reshape(-1)[flat]
        errors = np.abs(estimate - gradient.reshape(-1)[flat]) / np.maximum(1.0, np.abs(estimate))
        worst = max(worst, errors.max())
    return worst


def theirs(tf_layer, x, weights, upstream, training=True):
    """The same quantities from TensorFlow: output, dL/dx, dL/d(trainable weights)."""
    tf_layer.build(x.shape)
    if weights is not None:
        tf_layer.set_weights(weights)
    return tf_vjp(tf, tf_layer, x, upstream, training=training)


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

# %% [markdown]
# ## 3. Dense
#
# With z = xW + b and y = act(z), the activation's vector-Jacobian product first
# (g = act′(z) ⊙ G for an element-wise activation), then
#
#     ∂L/∂W = xᵀ g,   ∂L/∂b = Σ_batch g,   ∂L/∂x = g Wᵀ

# %%
W, b = rng.normal(size=(12, 5)).astype("float32"), rng.normal(size=5).astype("float32")
for activation in ("linear", "relu", "tanh", "sigmoid", "gelu"):
    check(f"Dense, {activation}", lambda **kw: layers.Dense(5, activation=activation, **kw), x_flat, [W, b],
          lambda: tf.keras.layers.Dense(5, activation=activation))

# %% [markdown]
# ## 4. Softmax
#
# s = softmax(z), s_i = e^(z_i) / Σ_j e^(z_j). Its Jacobian is diag(s) − s sᵀ, so the backward pass
# never builds it:
#
#     ∂L/∂z = s ⊙ (G − Σ_j G_j s_j)
#
# (After a softmax output trained with cross-entropy, `fit` skips this and uses
# ∂L/∂z = (s − onehot(y)) / N directly, from the logits; see section 10.)

# %%
check("Dense, softmax", lambda **kw: layers.Dense(5, activation="softmax", **kw), x_flat, [W, b],
      lambda: tf.keras.layers.Dense(5, activation="softmax"))

# %% [markdown]
# ## 5. Conv2D
#
# A cross-correlation: y[n, i, j, f] = Σ_(a, b, c) x[n, i·s + a, j·s + b, c] · W[a, b, c, f] + b_f.
# redes lays out the patches as the rows of a matrix X (im2col), so that Y = X W₂ with
# W₂ = W reshaped to (kh·kw·C, F). With g the gradient after the activation:
#
#     ∂L/∂W₂ = Xᵀ g,   ∂L/∂b = Σ g,   ∂L/∂x = g W₂ᵀ scattered back to the windows it came from
#
# (the scatter is a "full" convolution of g with the flipped kernel). Checked with strides 1 and 2,
# 'valid' and 'same' padding.

# %%
kernel, bias = rng.normal(size=(3, 3, 3, 4)).astype("float32"), rng.normal(size=4).astype("float32")
for strides, padding in ((1, "valid"), (2, "same"), (2, "valid")):
    check(f"Conv2D strides={strides}, padding={padding}",
          lambda **kw: layers.Conv2D(4, 3, strides=strides, padding=padding, activation="relu", **kw),
          x_image, [kernel, bias], lambda: tf.keras.layers.Conv2D(4, 3, strides=strides, padding=padding,
                                                                  activation="relu"))

# %% [markdown]
# ## 6. Pooling
#
# Max pooling passes each window's gradient to the position of its maximum (and 0 elsewhere);
# average pooling spreads it evenly, g / (number of inputs in the window). The global versions do
# the same over the whole image of each channel.
#
#     max:      ∂L/∂x[p] = Σ_windows G[window] · [p = argmax of the window]
#     average:  ∂L/∂x[p] = Σ_windows containing p  G[window] / |window|

# %%
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

# %% [markdown]
# ## 7. BatchNormalization
#
# In training mode, per channel over the M = batch·height·width values, with x̂ the normalized input:
#
#     ∂L/∂γ = Σ G ⊙ x̂,   ∂L/∂β = Σ G,   ∂L/∂x = γ / (M √(σ² + ε)) · (M G − ∂L/∂β − x̂ ⊙ ∂L/∂γ)
#
# The last two terms are there because μ and σ² depend on every input of the batch. In inference
# mode μ and σ² are constants (the moving averages) and ∂L/∂x = γ G / √(σ² + ε).

# %%
bn_weights = [rng.uniform(0.5, 1.5, 3).astype("float32"), rng.normal(size=3).astype("float32"),
              rng.normal(size=3).astype("float32"), rng.uniform(0.5, 2.0, 3).astype("float32")]
for training in (True, False):
    check(f"BatchNormalization, training={training}", lambda **kw: layers.BatchNormalization(**kw), x_image,
          bn_weights, lambda: tf.keras.layers.BatchNormalization(), training=training)

# %% [markdown]
# ## 8. LayerNormalization
#
# The same normalization, over each sample's features instead of over the batch. With h = γ ⊙ G
# and means over the c features of one position:
#
#     ∂L/∂γ = Σ_rows G ⊙ x̂,   ∂L/∂β = Σ_rows G,   ∂L/∂x = (h − mean(h) − x̂ · mean(h ⊙ x̂)) / √(σ² + ε)

# %%
ln_weights = [rng.uniform(0.5, 1.5, 12).astype("float32"), rng.normal(size=12).astype("float32")]
check("LayerNormalization", lambda **kw: layers.LayerNormalization(**kw), x_flat, ln_weights,
      lambda: tf.keras.layers.LayerNormalization())

# %% [markdown]
# ## 9. Dropout, Flatten
#
# Dropout keeps the mask m it drew in the forward pass (m = [u ≥ rate] / (1 − rate)) and reuses
# it: ∂L/∂x = G ⊙ m. A random mask cannot be compared with TensorFlow's, so the check is that the
# backward pass multiplies by exactly the mask of the forward one. Flatten and Reshape only reshape
# the gradient back.

# %%
dropout = layers.Dropout(0.3, seed=0)
y = dropout(x_image, training=True)
mask = np.where(x_image != 0, y / x_image, 0)            # 0 or 1 / (1 - rate)
upstream = rng.normal(size=y.shape).astype("float32")
dx = dropout.backward(Tensor4D(upstream)).data
print(f"Dropout: kept fraction {np.mean(mask > 0):.2f} (expected 0.70), mask values {np.unique(mask.round(4))}, "
      f"dL/dx == G * mask: {np.allclose(dx, upstream * mask)}")
print("Dropout at inference returns its input unchanged:", np.array_equal(dropout(x_image), x_image))
check("Flatten", lambda **kw: layers.Flatten(**kw), x_image, None, lambda: tf.keras.layers.Flatten())

# %% [markdown]
# ## 10. Perdas / Losses
#
# The gradients of the losses with respect to the predictions, against TensorFlow's (*needs
# TensorFlow*). For a softmax output with cross-entropy, Keras and redes both compute from the
# logits: ∂L/∂z = (softmax(z) − onehot(y)) / N.
#
#     MSE: 2 (ŷ − y) / (N·k)     MAE: sign(ŷ − y) / (N·k)     BCE: (ŷ − y) / (ŷ (1 − ŷ) N·k)

# %%
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


# %% [markdown]
# ## 11. Um modelo inteiro / A whole model
#
# A small CNN with every kind of layer above, the same weights in redes and in Keras, one batch:
# the gradients of the loss with respect to every weight (*needs TensorFlow*).

# %%
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

# %% [markdown]
# Everything agrees to float32 precision: about 1e-7 of the largest value layer by layer, about
# 1e-5 over the whole model (rounding accumulates through eight layers, and a bias before
# BatchNormalization has a true gradient of zero, so what is left of it is rounding), and the
# central differences in float64 to about 1e-8. The parity tests in `tests/parity/` run the same
# comparisons on random shapes and configurations.
