"""Whole Fashion-MNIST epochs of the benchmark MLP with the optimizer's flush of subnormal slot entries on and off.

    REDES_DATA=/work/shared/datasets python -m benchmarks.subnormals [--epochs 3]

A momentum whose gradient stays 0 (a dead ReLU unit's weights) decays as 0.9^t into float32's subnormal
range after about 800 steps, where x86 arithmetic takes a slow path; ``Optimizer._flush_subnormals`` sets
such entries to 0 every ``FLUSH_EVERY`` steps. Prints each epoch's time (1,875 steps of batch 32, Nadam,
one BLAS thread), the last loss and the count of subnormal slot entries at the end, for both settings.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    import redes
    from redes import datasets
    from redes.optimizers import Optimizer

    from .tasks import build_mlp

    (x, y), _ = datasets.load_fashion_mnist(verbose=False)
    x = (x.reshape(len(x), -1) / 255).astype(np.float32)
    tiny = np.finfo(np.float32).tiny
    for flush_every in (Optimizer.FLUSH_EVERY, None):
        Optimizer.FLUSH_EVERY = flush_every or 2**62  # None: never flushed
        redes.set_random_seed(0)
        model = build_mlp("redes")
        times = []
        for _ in range(args.epochs):
            started = time.perf_counter()
            history = model.fit(x, y, batch_size=32, verbose=0)
            times.append(time.perf_counter() - started)
        subnormal = sum(int(((slot != 0) & (np.abs(slot) < tiny)).sum())
                        for slots in model.optimizer._slots for slot in slots)
        print(f"flush every {flush_every or 'never'}: epochs {', '.join(f'{t:.2f}' for t in times)} s, "
              f"last loss {history.history['loss'][-1]:.4f}, subnormal slot entries {subnormal}")


if __name__ == "__main__":
    main()
