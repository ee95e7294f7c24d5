# %% [markdown]
# # 08 · Modelos de sequência / Sequence models
#
# A recurrent layer reads its input one step at a time and carries a state from step to step. An
# MNIST image makes a handy first sequence: 28 rows of 28 pixels, read top to bottom, so that the
# model sees the digit one row at a time and has to remember what it saw above. This notebook
# trains an LSTM and a GRU on those rows, runs the same LSTM in Keras beside redes, sets a 1-D
# CNN against it, and feeds a model sequences of another length than it was trained on.

# %% [markdown]
# ## 1. Configuração / Setup

# %%
# %matplotlib inline
import time

import numpy as np

from _shared import QUICK, plot_learning_curves, redes, tensorflow_or_none   # notebooks/_shared.py
from redes import Sequential, datasets, layers, optimizers, plotting

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
N_TRAIN, N_TEST, EPOCHS, GRU_EPOCHS, CNN_EPOCHS = (512, 256, 1, 1, 1) if QUICK else (60000, 10000, 5, 5, 5)
BATCH_SIZE = 64

(x_train, y_train), (x_test, y_test) = datasets.load_mnist()
x_train, x_test = datasets.scale_images(x_train)[:N_TRAIN], datasets.scale_images(x_test)[:N_TEST]
y_train, y_test = y_train[:N_TRAIN], y_test[:N_TEST]
print("train", x_train.shape, "test", x_test.shape)

# %% [markdown]
# ## 4. LSTM e GRU nas linhas / LSTM and GRU on the rows
#
# `Input((28, 28)) → LSTM(128) → Dense(10, softmax)`, and the same with GRU(128). Adam with batch 64
# and a learning rate that starts at 2·10⁻³ and is multiplied by 0.7 after every epoch
# (`optimizers.schedules.ExponentialDecay` with `staircase=True`), as a Keras user would write it.
# With Adam's constant 10⁻³ and batch 128 (`redes train --model lstm --epochs 5 --seed 0`) the LSTM
# ends at 97.85% after 5 epochs; the larger, decaying rate and the smaller batch gain most of a
# point. Both models train for `EPOCHS` (LSTM) and `GRU_EPOCHS` (GRU) epochs on all 60,000 images.

# %%
def recurrent_model(cell, steps=28, epochs=EPOCHS) -> Sequential:
    """Input((steps, 28)) → cell(128) → Dense(10, softmax), compiled with Adam and a decaying rate."""
    model = Sequential([layers.Input((steps, 28)), cell(128), layers.Dense(10, activation="softmax")],
                       name=cell.__name__.lower())
    compile_for_mnist(model)
    return model


def compile_for_mnist(model, optimizer=None):
    """Adam from 2·10⁻³, times 0.7 after each epoch (of BATCH_SIZE steps over x_train), sparse cross-entropy."""
    steps_per_epoch = int(np.ceil(len(x_train) / BATCH_SIZE))
    schedule = optimizers.schedules.ExponentialDecay(2e-3, decay_steps=steps_per_epoch, decay_rate=0.7,
                                                     staircase=True)
    model.compile(optimizer=optimizer or optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def timed_fit(model, epochs, x=None, y=None):
    """fit on (x, y) (the training images by default), the test set as validation; (History, s per epoch)."""
    start = time.perf_counter()
    history = model.fit(x_train if x is None else x, y_train if y is None else y, batch_size=BATCH_SIZE,
                        epochs=epochs, validation_data=(x_test, y_test), verbose=2)
    return history, (time.perf_counter() - start) / epochs


models = {"LSTM": recurrent_model(layers.LSTM), "GRU": recurrent_model(layers.GRU)}
models["LSTM"].summary()
histories, epoch_times = {}, {}
for name, epochs in (("LSTM", EPOCHS), ("GRU", GRU_EPOCHS)):
    print(name)
    histories[name], epoch_times[name] = timed_fit(models[name], epochs)

# %%
plot_learning_curves(histories, validation="test")

test_accuracy = {}
for name, model in models.items():
    test_accuracy[name] = model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]
    print(f"{name}: test accuracy {test_accuracy[name]:.2%} after {len(histories[name].history['loss'])} epochs, "
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
# ## 5. O mesmo LSTM no Keras / The same LSTM in Keras
#
# The same script in Keras 3 (TensorFlow): the same layers, optimizer, schedule and batch size, and
# the same initial weights, copied from the Keras model into a fresh redes model with
# `set_weights(keras_model.get_weights())`. Both train for `KERAS_EPOCHS` epochs on the first
# `N_KERAS` training images (the data order of each epoch is each library's own shuffle, so the runs
# part after the first step, but they should end close). *Skipped when TensorFlow is not installed.*

# %%
N_KERAS, KERAS_EPOCHS = (256, 1) if QUICK else (20000, 2)

if tf is None:
    print("TensorFlow is not installed: skipping the comparison with Keras.")
else:
    import keras

    keras.utils.set_random_seed(0)
    steps_per_epoch = int(np.ceil(N_KERAS / BATCH_SIZE))
    keras_model = keras.Sequential([keras.Input((28, 28)), keras.layers.LSTM(128),
                                    keras.layers.Dense(10, activation="softmax")])
    keras_model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(
                            2e-3, decay_steps=steps_per_epoch, decay_rate=0.7, staircase=True)),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = Sequential([layers.Input((28, 28)), layers.LSTM(128), layers.Dense(10, activation="softmax")])
    twin.build((None, 28, 28))
    twin.set_weights(keras_model.get_weights())
    twin.compile(optimizer=optimizers.Adam(optimizers.schedules.ExponentialDecay(
                     2e-3, decay_steps=steps_per_epoch, decay_rate=0.7, staircase=True)),
                 loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print("same initial predictions:", np.allclose(twin.predict(x_test[:64]),
                                                   keras_model.predict(x_test[:64], verbose=0), atol=1e-5))
    results = {}
    for library, model in (("redes", twin), ("Keras", keras_model)):
        print(library)
        start = time.perf_counter()
        model.fit(x_train[:N_KERAS], y_train[:N_KERAS], batch_size=BATCH_SIZE, epochs=KERAS_EPOCHS,
                  validation_data=(x_test, y_test), verbose=2)
        seconds = (time.perf_counter() - start) / KERAS_EPOCHS
        results[library] = (model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1], seconds)
    print(f"\n{'':>6} | test accuracy | s per epoch ({N_KERAS:,} images, {KERAS_EPOCHS} epochs)")
    for library, (accuracy, seconds) in results.items():
        print(f"{library:>6} | {accuracy:13.2%} | {seconds:11.1f}")

# %% [markdown]
# In the full run both libraries ended at 95.41% test accuracy, and their losses agree to a few
# hundredths after each epoch: the two runs differ only by the order in which each library
# shuffles the images. The times per epoch are of a shared 2-core CPU and vary by some tenths.

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
compile_for_mnist(cnn)
cnn.summary()
histories["Conv1D"], epoch_times["Conv1D"] = timed_fit(cnn, CNN_EPOCHS)
test_accuracy["Conv1D"] = cnn.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]

print(f"\n{'model':>7} | parameters | epochs | test accuracy | s per epoch")
for name, model in (("LSTM", models["LSTM"]), ("GRU", models["GRU"]), ("Conv1D", cnn)):
    print(f"{name:>7} | {model.count_params():10,} | {len(histories[name].history['loss']):6} | "
          f"{test_accuracy[name]:13.2%} | {epoch_times[name]:11.1f}")

# %% [markdown]
# In the full run the Conv1D matched the LSTM (98.75% against 98.64% after 5 epochs) with fewer
# parameters and about a quarter of the time per epoch: its 24 and then 8 positions are computed in
# a few large matrix products, where the LSTM makes 28 small, dependent steps forward and back.

# %% [markdown]
# ## 7. Comprimentos variáveis / Variable lengths
#
# The weights of a recurrent layer do not depend on the number of steps, so a model built on
# `Input((None, 28))` takes sequences of any length. Here the trained LSTM's weights go into such a
# model, which then reads only the first 14 rows of each test image, and then all 28.

# %%
any_length = Sequential([layers.Input((None, 28)), layers.LSTM(128), layers.Dense(10, activation="softmax")])
any_length.build((None, None, 28))
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
