# %% [markdown]
# # 04 · Hiperparâmetros / Hyper-parameters
#
# The notes on Keras hyper-parameters, as experiments: learning rates compared, learning-rate
# schedules (exponential and linear decay), MSE against MAE on a regression task with outliers,
# and L1 / L2 penalties and Dropout against overfitting.

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from _shared import QUICK, redes   # notebooks/_shared.py: quick mode, and redes from this clone if not installed
from redes import Sequential, layers, losses, optimizers

redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %%
from _shared import fashion_mnist_split

(x_train, y_train), (x_val, y_val), _ = fashion_mnist_split()     # as in notebook 01
N_TRAIN, N_VAL, EPOCHS = (500, 200, 1) if QUICK else (10000, 5000, 8)
x_train, y_train = x_train[:N_TRAIN], y_train[:N_TRAIN]
x_val, y_val = x_val[:N_VAL], y_val[:N_VAL]
print("train", x_train.shape, "validation", x_val.shape)


def mlp(*hidden, **dense_arguments):
    """Flatten, Dense layers of the given sizes with ReLU (and ``dense_arguments``), a softmax output."""
    return Sequential([layers.Input((28, 28)), layers.Flatten(),
                       *[layers.Dense(units, activation="relu", **dense_arguments) for units in hidden],
                       layers.Dense(10, activation="softmax")])


# %% [markdown]
# ## 2. Taxa de aprendizado / Learning rate
#
# The same MLP trained with Adam at four learning rates. Too small and it crawls; too large and the
# steps overshoot, the loss stalls high or diverges.

# %%
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

# %% [markdown]
# ## 3. Decaimento da taxa de aprendizado / Learning-rate decay
#
# A schedule gives the learning rate as a function of the optimizer's step; the optimizer
# evaluates it before every update.
#
#     exponential:  lr(t) = lr₀ · rate^(t / decay_steps)               (staircase: ⌊t / decay_steps⌋)
#     linear:       lr(t) = (lr₀ − lr_end) · (1 − min(t, T) / T) + lr_end   (PolynomialDecay, power = 1)

# %%
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

# %% [markdown]
# Training with them: the same MLP and Adam starting at 0.01 (a rate that is too large to finish
# with), with a constant rate and with each decay.

# %%
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

# %% [markdown]
# ## 4. MSE ou MAE numa regressão / MSE vs MAE on a regression task
#
# A noisy curve, y = sin(2x) + noise, where 5% of the targets are outliers. MSE squares the
# errors, so the outliers pull the fit towards them; MAE grows only linearly with the error and
# the fit follows the bulk of the data (it estimates the conditional median rather than the mean).
#
#     MSE = mean((y − ŷ)²),  ∂/∂ŷ = 2 (ŷ − y) / n        MAE = mean(|y − ŷ|),  ∂/∂ŷ = sign(ŷ − y) / n

# %%
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

# %% [markdown]
# ## 5. Regularização contra o sobreajuste / Regularization against overfitting
#
# A wide MLP (two layers of 256) on only 1,000 images of Fashion-MNIST overfits: the training
# accuracy keeps climbing while the validation loss turns up. Four variants of the same network:
#
# - no regularization;
# - L2: `kernel_regularizer=regularizers.l2(0.01)`, as in the notes: a penalty 0.01·Σw² added to
#   the loss;
# - L1: `regularizers.l1(5e-4)`, 0.0005·Σ|w| (it pushes weights to exactly zero);
# - Dropout(0.2) after each hidden layer: in training a random 20% of the activations are zeroed
#   and the rest scaled by 1/0.8; at inference the layer does nothing.

# %%
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

# %%
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

# %% [markdown]
# With L1 or L2 the reported losses, training and validation alike, include the penalty (as in
# Keras), so the curves' losses are not comparable with the unregularized model's; the final
# validation cross-entropy printed above is computed without it. The unregularized network
# memorizes the 1,000 images (training accuracy near 99%) and grows confident in its mistakes:
# its validation cross-entropy climbs after the first epochs. L2 and L1 cut the gap between
# training and validation accuracy by about a third and keep the validation cross-entropy well
# lower, at the price, at these strengths, of a little validation accuracy; Dropout(0.2) sits in
# between. The strength of a regularizer is itself a hyper-parameter, to tune on the validation
# set. BatchNormalization, the last regularizer of the notes, is the subject of notebook 03.
