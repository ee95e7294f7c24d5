# %% [markdown]
# # 07 · RedeNeural: o MLP da biblioteca Java / RedeNeural: the Java library's MLP
#
# `RedeNeural` is the dense-only multilayer perceptron of the Java "Biblioteca de Redes Neurais",
# given by its layer sizes. In redes it is a `Sequential` of `Input` and `Dense` layers, so it has
# the whole Keras API (`compile`, `fit`, `evaluate`, `predict`, `summary`, weights), plus the Java
# conveniences: `print(net)`, `count_params()`, `clone()` and `loss_history`.
#
# As in the Java library's examples: the XOR gate, a regression, and classification (a 2-D
# toy problem and MNIST digits).

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from _shared import QUICK, redes   # notebooks/_shared.py: quick mode, and redes from this clone if not installed
from redes import RedeNeural, datasets, optimizers, plotting

redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %% [markdown]
# ## 2. A porta XOR / The XOR gate
#
# The smallest problem a single layer cannot solve: 2 inputs, a hidden layer of 4 tanh units and
# one sigmoid output, trained with plain gradient descent (`"gd"`, one step per pass over the four
# examples) on the mean squared error, as in the Java example.

# %%
x_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y_xor = np.array([[0], [1], [1], [0]], dtype="float32")

net = RedeNeural([2, 4, 1], activation="tanh", output_activation="sigmoid", seed=1)
print(net)
net.compile(optimizer=optimizers.GD(learning_rate=0.5), loss="mse")
net.fit(x_xor, y_xor, batch_size=len(x_xor), epochs=300 if QUICK else 3000, verbose=0)
for inputs, output in zip(x_xor, net.predict(x_xor)):
    print(f"{inputs.astype(int)} -> {output[0]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(net.loss_history)
ax.set(title="XOR: loss per epoch (net.loss_history)", xlabel="Epoch", ylabel="MSE", yscale="log")
ax.grid(True, alpha=0.3);

# %% [markdown]
# ## 3. Regressão / Regression
#
# y = x · sin(x) on [−2π, 2π], with a little noise: one input, two hidden layers of 32 tanh units,
# a linear output, Adam and the mean squared error.

# %%
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


# %% [markdown]
# ## 4. Classificação: três espirais / Classification: three spirals
#
# Three interleaved spirals in the plane, one class each: a softmax output and the sparse
# categorical cross-entropy. The background shows the class the network predicts at each point.

# %%
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

# %% [markdown]
# ## 5. Classificação: dígitos MNIST / Classification: MNIST digits
#
# The Java library's classic: `RedeNeural([784, 128, 64, 10])` on flattened MNIST images.

# %%
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

# %% [markdown]
# ## 6. Copiar a rede / Cloning the network
#
# `clone()` copies the architecture and the weights into new arrays: training the copy leaves the
# original as it was.

# %%
twin = digits.clone()
print("same predictions:", np.array_equal(twin.predict(x_test[:100]), digits.predict(x_test[:100])))
twin.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
twin.fit(x_train[:1000], y_train[:1000], epochs=1, verbose=0)
print("after training the twin, same predictions:",
      np.array_equal(twin.predict(x_test[:100]), digits.predict(x_test[:100])))
print(f"the original still has its test accuracy: {digits.evaluate(x_test, y_test, verbose=0)[1]:.2%}")
