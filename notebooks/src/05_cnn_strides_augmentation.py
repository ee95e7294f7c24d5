# %% [markdown]
# # 05 · CNN com passos e aumento de dados / A strided CNN and data augmentation
#
# From the convolutional-networks course report: convolution as a sliding filter, the output-size
# formula, a CNN that shrinks its images with strided convolutions (no pooling until a final
# `GlobalMaxPooling2D`), Dropout, and data augmentation (random shifts and flips) to get more out
# of a small training set. Then a look inside: the learned filters and the feature maps.
#
# The report trained on CIFAR-10 and Fashion-MNIST; this notebook uses Fashion-MNIST
# (`datasets.load_cifar10()` loads CIFAR-10 the same way, as (N, 32, 32, 3) images).

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from _shared import QUICK, redes   # notebooks/_shared.py: quick mode, and redes from this clone if not installed
from redes import Sequential, datasets, layers, optimizers, plotting

redes.set_random_seed(42)
rng = np.random.default_rng(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %% [markdown]
# ## 2. A convolução como um filtro deslizante / Convolution as a sliding filter
#
# A 3×3 filter slides over the image; at each position the output is the sum of the products of
# the filter with the pixels under it (a cross-correlation, as in every deep-learning library).
# Two hand-made filters, a vertical-edge and a horizontal-edge detector (Sobel), put into a
# `Conv2D` with `set_weights`:

# %%
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

# %% [markdown]
# ## 3. A fórmula do tamanho da saída / The output-size formula
#
# For an input of size n, a window k, padding p on each side and stride s:
#
#     out = ⌊(n + 2p − k) / s⌋ + 1
#
# 'valid' means p = 0. 'same' (TensorFlow's rule) pads just enough that out = ⌈n / s⌉, putting the
# odd pixel, if any, at the bottom / right. Checked against the layers' `compute_output_shape`
# for convolutions and pooling:

# %%
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
print("\n".join(rows))
print(f"{mismatches} mismatches between the formula and the layers over 72 configurations")

# %% [markdown]
# ## 4. Os dados / The data
#
# A small training set on purpose (augmentation matters most when data is scarce), the classic
# validation images, and part of the test set.

# %%
N_TRAIN, N_VAL, N_TEST, EPOCHS = (300, 200, 300, 1) if QUICK else (1000, 2000, 10000, 30)
(x_train, y_train), (x_val, y_val) = datasets.train_validation_split(x_train_full, y_train_full, 5000)
x_train, y_train, x_val, y_val = x_train[:N_TRAIN], y_train[:N_TRAIN], x_val[:N_VAL], y_val[:N_VAL]
x_test, y_test = x_test[:N_TEST], y_test[:N_TEST]
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)


# %% [markdown]
# ## 5. A CNN com passos / The strided CNN
#
# Three 3×3 convolutions with stride 2 and 'same' padding halve the image each time
# (28 → 14 → 7 → 4) while the filters grow (32, 64, 128). `GlobalMaxPooling2D` keeps each
# channel's largest response, whatever its position, then Dropout, Dense(1024), Dropout and the
# softmax output. The augmentation layers, when asked for, come first: they transform each batch
# in training and do nothing at inference. Three variants: no augmentation, random left-right
# flips, and flips plus random shifts (whole pixels, the uncovered border filled with black).

# %%
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

# %% [markdown]
# ## 6. Aumento de dados / Data augmentation
#
# The augmentation layers on their own, in training mode: each call draws a new flip and shift
# for every image (all at once, vectorised over the batch). The first column is the original.

# %%
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

# %% [markdown]
# ## 7. Treinar / Train

# %%
histories = {}
for name, model in models.items():
    print(name)
    histories[name] = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, validation_data=(x_val, y_val),
                                verbose=2)

# %% [markdown]
# ## 8. Curvas de perda e acurácia / Loss and accuracy curves
#
# Train against validation, per epoch, for the three models. With augmentation the training task
# is harder (a new variant of each image at every epoch), so the training curves are lower and
# the gap to validation smaller.

# %%
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

# %% [markdown]
# An augmentation pays when it makes images like those the model will meet. Fashion-MNIST's
# items are centred and upright, as in its test set: a left-right flip is a plausible garment and,
# on this small training set, it narrows the gap between training and validation and lowers the
# test loss at about the same test accuracy, while shifts make the task harder than the test (the shifted model's training accuracy stays below its validation
# accuracy: it is still learning after 30 epochs). Shifts earn their keep on data whose objects
# move, or with longer training, and on CIFAR-10 both kinds are standard.
#
# ## 9. Matriz de confusão e erros / Confusion matrix and mistakes
#
# For the model trained with flips.

# %%
model = models["flips"]
probabilities = model.predict(x_test, batch_size=500)
plotting.plot_confusion_matrix(y_test, probabilities, class_names=class_names, normalize=True);

# %%
wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_test)
plotting.plot_predictions(x_test[wrong], y_test[wrong], probabilities[wrong], class_names=class_names, n=16);

# %% [markdown]
# ## 10. Filtros e mapas de características / Filters and feature maps
#
# The 32 filters of the first convolution (3×3 each), then what three layers make of one test
# image: the first convolution's 32 maps (14×14), the second's 64 (7×7) and the third's 128 (4×4).

# %%
plotting.plot_filters(model);

# %%
conv_indices = [i for i, layer in enumerate(model.layers) if isinstance(layer, layers.Conv2D)]
print("Conv2D layers at indices", conv_indices, "of model.layers (after the RandomFlip layer)")
plt.figure(figsize=(2.5, 2.5))
plt.imshow(x_test[0, ..., 0], cmap="gray")
plt.title(class_names[y_test[0]])
plt.axis("off")
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[0]);

# %%
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[1]);

# %%
plotting.plot_feature_maps(model, x_test[0], layer_index=conv_indices[2]);
