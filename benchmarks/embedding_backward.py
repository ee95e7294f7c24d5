"""Embedding backward: dL/d(embeddings) as a scatter-add of the output gradient rows, five ways, timed.

    python -m benchmarks.embedding_backward [--rows 4096] [--dim 64] [--dtype float32] [--repeats 7]

For vocabularies of 1e3, 1e4 and 5e4 and ``rows`` = batch·steps indices drawn uniformly, each variant
computes G_E (V, D) with G_E[v] = Σ over the rows r with idx[r] = v of G[r] and is checked against the
first; the best time of ``repeats`` runs (after one warm-up; the best, not the median, because other jobs
share the machine) is printed, in ms, as a Markdown table.
``redes.layers.Embedding`` uses the one ``_scatter_rows`` picks from these timings (its docstring).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def add_at(idx, g, vocabulary):
    out = np.zeros((vocabulary, g.shape[1]), dtype=g.dtype)
    np.add.at(out, idx, g)
    return out


def bincount_per_column(idx, g, vocabulary):
    return np.stack([np.bincount(idx, weights=g[:, d], minlength=vocabulary) for d in range(g.shape[1])],
                    axis=1).astype(g.dtype, copy=False)


def bincount_flat(idx, g, vocabulary):
    dim = g.shape[1]
    flat = (idx[:, None] * dim + np.arange(dim)).ravel()
    return np.bincount(flat, weights=g.ravel(), minlength=vocabulary * dim).reshape(vocabulary, dim).astype(g.dtype)


def sort_reduceat(idx, g, vocabulary):
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    out = np.zeros((vocabulary, g.shape[1]), dtype=g.dtype)
    out[sorted_idx[starts]] = np.add.reduceat(g[order], starts, axis=0)
    return out


def one_hot_gemm(idx, g, vocabulary):
    one_hot = np.zeros((len(idx), vocabulary), dtype=g.dtype)
    one_hot[np.arange(len(idx)), idx] = 1
    return one_hot.T @ g


VARIANTS = {"np.add.at": add_at, "np.bincount per column": bincount_per_column,
            "np.bincount, one flat call": bincount_flat, "sort + np.add.reduceat": sort_reduceat,
            "one-hot GEMM": one_hot_gemm}


def best_ms(function, *args, repeats: int) -> float:
    function(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vocabularies = (1_000, 10_000, 50_000)
    print(f"rows {args.rows}, dim {args.dim}, {args.dtype}; best ms of {args.repeats}")
    print("| variant | " + " | ".join(f"V = {v:,}" for v in vocabularies) + " |")
    print("|---|" + "---:|" * len(vocabularies))
    g = rng.standard_normal((args.rows, args.dim)).astype(args.dtype)
    results = {name: [] for name in VARIANTS}
    for vocabulary in vocabularies:
        idx = rng.integers(0, vocabulary, args.rows)
        reference = add_at(idx, g, vocabulary)
        for name, function in VARIANTS.items():
            np.testing.assert_allclose(function(idx, g, vocabulary), reference, rtol=1e-5, atol=1e-5)
            results[name].append(best_ms(function, idx, g, vocabulary, repeats=args.repeats))
    for name, row in results.items():
        print(f"| {name} | " + " | ".join(f"{t:.2f}" for t in row) + " |")


if __name__ == "__main__":
    main()
