# %% [markdown]
# # 01 · Início rápido / Quickstart
#
# A multilayer perceptron on Fashion-MNIST with redes, the Keras way: load the data, build a
# `Sequential` model, `compile`, `fit`, then look at the learning curves, the confusion matrix and
# the images the model gets wrong. Everything runs in NumPy on the CPU.
#
# Set `REDES_QUICK=1` in the environment to run it on a small subset in a few seconds (CI does).

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
# ## 2. Carregar os dados / Load the data
#
# `datasets.load_fashion_mnist()` returns uint8 arrays in the shape of `keras.datasets`. Pixels are
# scaled to [0, 1] (`datasets.scale_images`) and the classic split keeps the last 5,000 training
# images for validation (`datasets.train_validation_split`): `fashion_mnist_split()`, in
# `notebooks/_shared.py`, does these three steps for the notebooks that use this split.

# %%
from _shared import fashion_mnist_split

(x_train, y_train), (x_val, y_val), (x_test, y_test) = fashion_mnist_split()
class_names = list(datasets.FASHION_MNIST_CLASS_NAMES)
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)

# %%
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for ax, image, label in zip(axes.ravel(), x_train, y_train):
    ax.imshow(image, cmap="gray")
    ax.set_title(class_names[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# ## 3. Construir o modelo / Build the model
#
# `Input` fixes the shape (28×28), `Flatten` makes it a vector of 784 pixels, two hidden `Dense`
# layers with ReLU and a 10-way softmax output. The softmax and the sparse categorical
# cross-entropy are differentiated together, from the logits, as Keras does.

# %%
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

# %% [markdown]
# ## 4. Treinar / Train
#
# One progress bar per epoch; the validation loss and accuracy are computed at the end of each.

# %%
EPOCHS = 1 if QUICK else 5
history = model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_data=(x_val, y_val))

# %% [markdown]
# ## 5. Curvas de aprendizado / Learning curves
#
# `plotting.plot_history` draws one panel per metric, training against validation.

# %%
plotting.plot_history(history);

# %% [markdown]
# ## 6. Avaliar no conjunto de teste / Evaluate on the test set
#
# `evaluate` returns `[loss, accuracy]`; `predict` returns one probability per class. The
# confusion matrix counts, for each true class (row), the predicted classes (columns).

# %%
test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.2%}")
probabilities = model.predict(x_test, batch_size=256)
plotting.plot_confusion_matrix(y_test, probabilities, class_names=class_names);

# %%
matrix = plotting.confusion_matrix(y_test, probabilities, num_classes=10)
np.fill_diagonal(matrix, 0)
print("Most frequent confusions (true -> predicted):")
for flat_index in np.argsort(matrix, axis=None)[::-1][:5]:
    true, predicted = np.unravel_index(flat_index, matrix.shape)
    print(f"  {class_names[true]:>12} -> {class_names[predicted]:<12} {matrix[true, predicted]:4d} times")

# %% [markdown]
# ## 7. Imagens mal classificadas / Misclassified images
#
# Only the mistakes: each title gives the prediction with its confidence and, in brackets, the
# true class.

# %%
predicted = probabilities.argmax(axis=1)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images are misclassified")
plotting.plot_predictions(x_test[wrong], y_test[wrong], probabilities[wrong], class_names=class_names, n=20);

# %% [markdown]
# ## 8. Salvar e recarregar / Save and reload
#
# `model.save` writes one file (JSON and `.npy` arrays in a zip, no pickle); `redes.load_model`
# rebuilds the model, weights and optimizer included.

# %%
import os
import tempfile

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "fashion_mlp.redes")
    model.save(path)
    reloaded = redes.load_model(path)
difference = np.abs(reloaded.predict(x_test, batch_size=256) - probabilities).max()
print(f"largest difference between the predictions before and after reloading: {difference}")
