# %% [markdown]
# # 08 · Modelos de sequência / Sequence models
#
# A recurrent layer reads its input one step at a time and carries a state from step to step. An
# MNIST image makes a handy first sequence: 28 rows of 28 pixels, read top to bottom, so that the
# model sees the digit one row at a time and has to remember what it saw above. This notebook
# trains an LSTM and a GRU on those rows, runs the same script in Keras beside redes, does both
# again on Fashion-MNIST, sets a 1-D CNN against them, and feeds a model sequences of another length
# than it was trained on.

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import time

import numpy as np

from _shared import QUICK, plot_learning_curves, redes, tensorflow_or_none   # notebooks/_shared.py
from redes import Sequential, datasets, layers, plotting

redes.set_random_seed(42)
print(f"redes {redes.__version__}, numpy {np.__version__}, quick mode: {QUICK}")

# %%
tf = tensorflow_or_none()   # None when TensorFlow is not installed: the Keras cells skip

# %% [markdown]
# ## 2. A ideia / The idea
#
# A recurrent layer takes a batch of sequences shaped (batch, steps, features) and applies the same
# cell at every step t, with the same weights: the input xₜ (28 pixels here) and the previous
# state give the new state. The LSTM keeps two states, h (the output) and c (the cell, its memory),
# and three gates that decide what to write, keep and show (σ the sigmoid, ⊙ the product entry by
# entry):
#
#     z = xₜW + hₜ₋₁U + b = [zᵢ, z_f, z_g, zₒ]
#     i = σ(zᵢ),  f = σ(z_f),  g = tanh(z_g),  o = σ(zₒ)          input, forget, candidate, output
#     cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ tanh(cₜ)
#
# The GRU (Keras 3's form, the reset gate applied after the recurrent product) has one state and
# two gates:
#
#     [x_z, x_r, x_h] = xₜW + b,   [u_z, u_r, u_h] = hₜ₋₁U + b'
#     z = σ(x_z + u_z),  r = σ(x_r + u_r),  ĥ = tanh(x_h + r ⊙ u_h)     update, reset, candidate
#     hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ
#
# The backward pass (backpropagation through time) is written out in the layers' docstrings
# (`help(layers.LSTM)`). By default a layer returns only its last state hₜ, one vector per
# sequence; with `return_sequences=True` it returns h at every step, which is what a second
# recurrent layer stacked on top needs.

# %%
x = np.random.default_rng(0).random((4, 28, 28), dtype="float32")   # 4 sequences of 28 steps of 28 features
for layer in (layers.LSTM(128), layers.LSTM(128, return_sequences=True), layers.GRU(64),
              layers.GRU(64, return_sequences=True)):
    print(f"{type(layer).__name__}({layer.units}, return_sequences={layer.return_sequences!s:5}): "
          f"{x.shape} → {layer(x).shape}")
lstm = layers.LSTM(128)
lstm(x)
print("LSTM(128) weights:", [w.shape for w in lstm.get_weights()], "(kernel, recurrent_kernel, bias: 4 gates)")

# %% [markdown]
# ## 3. Dados: as linhas do MNIST / Data: the rows of MNIST
#
# `datasets.load_mnist()` gives (60000, 28, 28) images: already (batch, steps, features), no reshape
# needed. The test set is the validation data of `fit`, so the curves below are test curves.

# %%
N_TRAIN, N_TEST, EPOCHS, CNN_EPOCHS = (512, 256, 1, 1) if QUICK else (60000, 10000, 5, 5)
BATCH_SIZE = 64


def image_rows(load):
    """((x_train, y_train), (x_test, y_test)) of an image dataset's loader, pixels in [0, 1], cut to N_TRAIN / N_TEST."""
    (x_train, y_train), (x_test, y_test) = load()
    return ((datasets.scale_images(x_train)[:N_TRAIN], y_train[:N_TRAIN]),
            (datasets.scale_images(x_test)[:N_TEST], y_test[:N_TEST]))


mnist = image_rows(datasets.load_mnist)
(x_train, y_train), (x_test, y_test) = mnist
print("train", x_train.shape, "test", x_test.shape)

# %% [markdown]
# ## 4. LSTM e GRU nas linhas / LSTM and GRU on the rows
#
# `Input((28, 28)) → LSTM(128) → Dense(10, softmax)`, and the same with GRU(128). Adam with batch 64
# and a learning rate that starts at 3·10⁻³ and is multiplied by 0.7 after every epoch
# (`optimizers.schedules.ExponentialDecay` with `staircase=True`), as a Keras user would write it.
# With Adam's constant 10⁻³ and batch 128 (`redes train --model lstm --epochs 5 --seed 0`) the LSTM
# ends at 97.85% after 5 epochs; the larger, decaying rate and the smaller batch gain most of a
# point. Both models train for `EPOCHS` epochs on all 60,000 images.
#
# The functions take the library as an argument: redes speaks Keras, so the very same lines build
# and compile the Keras model of section 5.

# %%
def recurrent_model(cell: str, library=redes, steps=28):
    """Input((steps, 28)) → cell(128) → Dense(10, softmax) in redes or Keras (`library`), compiled for the rows."""
    model = library.Sequential([library.Input((steps, 28)), getattr(library.layers, cell)(128),
                                library.layers.Dense(10, activation="softmax")], name=cell.lower())
    compile_for_rows(model, library)
    return model


def compile_for_rows(model, library=redes):
    """Adam from 3·10⁻³, times 0.7 after each epoch (of BATCH_SIZE steps over N_TRAIN images), sparse cross-entropy."""
    steps_per_epoch = int(np.ceil(N_TRAIN / BATCH_SIZE))
    schedule = library.optimizers.schedules.ExponentialDecay(3e-3, decay_steps=steps_per_epoch, decay_rate=0.7,
                                                             staircase=True)
    model.compile(optimizer=library.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def timed_fit(model, epochs, data=mnist):
    """fit on data's training images, its test set as validation: (History, s per epoch, test accuracy)."""
    (x, y), (x_val, y_val) = data
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, validation_data=(x_val, y_val), verbose=2)
    seconds = (time.perf_counter() - start) / epochs
    return history, seconds, model.evaluate(x_val, y_val, batch_size=500, verbose=0)[1]


models = {name: recurrent_model(name) for name in ("LSTM", "GRU")}
initial_weights = {name: model.get_weights() for name, model in models.items()}   # for Keras, in section 5
models["LSTM"].summary()
histories, epoch_times, test_accuracy = {}, {}, {}
for name, model in models.items():
    print(name)
    histories[name], epoch_times[name], test_accuracy[name] = timed_fit(model, EPOCHS)

# %%
plot_learning_curves(histories, validation="test")
for name, model in models.items():
    print(f"{name}: test accuracy {test_accuracy[name]:.2%} after {EPOCHS} epochs, "
          f"{epoch_times[name]:.0f} s per epoch, {model.count_params():,} parameters")

# %% [markdown]
# Where the LSTM goes wrong: the confusion matrix of the test set (rows the true digit, columns the
# prediction) and the first misclassified images.

# %%
probabilities = models["LSTM"].predict(x_test, batch_size=500)
predicted = probabilities.argmax(axis=1)
plotting.plot_confusion_matrix(y_test, predicted)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images misclassified")
if len(wrong):
    plotting.plot_predictions(x_test[wrong], y_test[wrong], predicted[wrong], n=min(16, len(wrong)))

# %% [markdown]
# ## 5. O mesmo script no Keras / The same script in Keras
#
# The same functions with `library=keras` build the same models in Keras 3 (TensorFlow), with the
# same optimizer, schedule, batch size and epochs, and `set_weights` gives them the initial weights
# the redes models started from. The data order of each epoch is each library's own shuffle, so the
# runs part after the first step, but they should end close. *Skipped when TensorFlow is not
# installed.*

# %%
def train_in_keras(name, weights, data=mnist):
    """The Keras twin of recurrent_model(name) from `weights`, trained as timed_fit does: (History, s, accuracy)."""
    twin = recurrent_model(name, keras)
    twin.set_weights(weights)
    return timed_fit(twin, EPOCHS, data)


def print_table(accuracy, seconds, title):
    """One row per model and library: test accuracy and seconds per epoch."""
    print(f"\n{title}\n{'model':>13} | test accuracy | s per epoch")
    for name in accuracy:
        print(f"{name:>13} | {accuracy[name]:13.2%} | {seconds[name]:11.1f}")


if tf is None:
    print("TensorFlow is not installed: skipping the comparison with Keras.")
else:
    import keras

    twin = recurrent_model("LSTM", keras)
    twin.set_weights(initial_weights["LSTM"])
    fresh = recurrent_model("LSTM")
    fresh.set_weights(initial_weights["LSTM"])
    print("same initial predictions:", np.allclose(fresh.predict(x_test[:64]), twin.predict(x_test[:64], verbose=0),
                                                   atol=1e-5))
    for name in ("LSTM", "GRU"):
        print(f"{name} (Keras)")
        (histories[f"{name} (Keras)"], epoch_times[f"{name} (Keras)"],
         test_accuracy[f"{name} (Keras)"]) = train_in_keras(name, initial_weights[name])
    plot_learning_curves({key: histories[key] for key in ("LSTM", "LSTM (Keras)", "GRU", "GRU (Keras)")},
                         validation="test")
    print_table({key: test_accuracy[key] for key in ("LSTM", "LSTM (Keras)", "GRU", "GRU (Keras)")}, epoch_times,
                f"MNIST rows, {EPOCHS} epochs on {N_TRAIN:,} images")

# %% [markdown]
# In the full run, from the same initial weights, the LSTM ended at 98.71% test accuracy in redes
# and 98.84% in Keras, the GRU at 98.72% and 98.86%: both libraries pass 98.5% within 5 epochs,
# and their losses agree to a few thousandths after each epoch (0.0215 against 0.0243 for the LSTM's
# last epoch, 0.0199 against 0.0190 for the GRU's). What separates them is the order in which each
# shuffles the images, not the arithmetic: with the same batches the first steps agree to float32
# rounding (the parity tests, `tests/parity/`). The times per epoch are of a 2-core CPU shared with
# other work while this ran, and vary by several seconds from epoch to epoch in both.

# %% [markdown]
# ## 6. Fashion-MNIST
#
# The same two models and the same recipe on Fashion-MNIST (`datasets.load_fashion_mnist()`): ten
# kinds of clothing in the same 28×28 format, a harder task, where a row-by-row reader must tell a
# shirt from a pullover. Again redes and, beside it, Keras from the same initial weights.

# %%
fashion = image_rows(datasets.load_fashion_mnist)
fashion_accuracy, fashion_times = {}, {}
for name in ("LSTM", "GRU"):
    model = recurrent_model(name)
    weights = model.get_weights()
    print(name)
    _, fashion_times[name], fashion_accuracy[name] = timed_fit(model, EPOCHS, fashion)
    if tf is not None:
        print(f"{name} (Keras)")
        _, fashion_times[f"{name} (Keras)"], fashion_accuracy[f"{name} (Keras)"] = train_in_keras(name, weights,
                                                                                                   fashion)
print_table(fashion_accuracy, fashion_times, f"Fashion-MNIST rows, {EPOCHS} epochs on {N_TRAIN:,} images")

# %% [markdown]
# In the full run Fashion-MNIST's rows gave the LSTM 88.72% test accuracy in redes and 89.00% in
# Keras, the GRU 89.59% and 89.44%: again the libraries end within a few tenths of a point of each
# other, as two shuffles of the same recipe do. Reading clothes row by row is harder than reading
# digits: about one test image in nine is still misclassified after 5 epochs.

# %% [markdown]
# ## 6. Uma CNN 1-D nas mesmas linhas / A 1-D CNN on the same rows
#
# A convolution works on sequences too: `Conv1D` slides its kernels along the steps (the rows), each
# kernel seeing a few consecutive rows and all 28 pixels of each, and `GlobalMaxPooling1D` keeps the
# largest response of each kernel over the whole sequence. No state is carried from step to step,
# so every position is computed at once: much cheaper than a recurrence. Same optimizer and batch
# as the LSTM; `CNN_EPOCHS` epochs on all the training images.

# %%
cnn = Sequential([
    layers.Input((28, 28)),
    layers.Conv1D(64, 5, activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(128, 5, activation="relu"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(10, activation="softmax"),
], name="conv1d")
compile_for_rows(cnn)
cnn.summary()
histories["Conv1D"], epoch_times["Conv1D"], test_accuracy["Conv1D"] = timed_fit(cnn, CNN_EPOCHS)

print(f"\n{'model':>7} | parameters | epochs | test accuracy | s per epoch")
for name, model in (("LSTM", models["LSTM"]), ("GRU", models["GRU"]), ("Conv1D", cnn)):
    print(f"{name:>7} | {model.count_params():10,} | {len(histories[name].history['loss']):6} | "
          f"{test_accuracy[name]:13.2%} | {epoch_times[name]:11.1f}")

# %% [markdown]
# In the full run the Conv1D beat the LSTM (99.03% against 98.71% after 5 epochs) with fewer
# parameters and about a third of the time per epoch: its 24 and then 8 positions are computed in
# a few large matrix products, where the LSTM makes 28 small, dependent steps forward and back.

# %% [markdown]
# ## 7. Comprimentos variáveis / Variable lengths
#
# The weights of a recurrent layer do not depend on the number of steps, so a model built on
# `Input((None, 28))` takes sequences of any length. Here the trained LSTM's weights go into such a
# model, which then reads only the first 14 rows of each test image, and then all 28.

# %%
any_length = recurrent_model("LSTM", steps=None)
any_length.set_weights(models["LSTM"].get_weights())
for steps in (14, 28):
    probabilities = any_length.predict(x_test[:, :steps], batch_size=500)
    accuracy = (probabilities.argmax(axis=1) == y_test).mean()
    print(f"{'first 14' if steps == 14 else 'all 28'} rows: input {x_test[:, :steps].shape} → output {probabilities.shape}, "
          f"test accuracy {accuracy:.2%}")

# %% [markdown]
# The same weights read both: the LSTM simply stops after 14 steps and hands its state to the Dense
# layer. It was trained on whole images and never learned to answer from the top half alone, so
# there it does little better than chance: a model meant for varying lengths (sentences, say) is
# trained on sequences of varying lengths.
