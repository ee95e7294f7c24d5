"""Products, norms and matrices: matmul, dot, tensordot, einsum, norm, outer, inner, vdot, trace, inv, det, solve. Each VJP is a product of dL/dy with the
other operand, in the layout of the input it differentiates."""

from __future__ import annotations

import string

import numpy as np

from ._define import op
from .arithmetic import multiply
from .reductions import _kept_shape, _spread
from .shapes import broadcast_to, expand_dims, reshape, transpose, unbroadcast


def _matrix_transpose(x):
    axes = list(range(np.ndim(x)))
    return transpose(x, tuple(axes[:-2] + axes[:-3:-1]))


def _matmul_vjp(g, y, x1, x2):
    if np.ndim(x1) == 1 and np.ndim(x2) == 1:
        return [g * x2, g * x1]
    a = expand_dims(x1, 0) if np.ndim(x1) == 1 else x1     # a vector is a (1, n) matrix on the left ...
    b = expand_dims(x2, -1) if np.ndim(x2) == 1 else x2    # ... and an (n, 1) matrix on the right
    g = expand_dims(g, -2) if np.ndim(x1) == 1 else g
    g = expand_dims(g, -1) if np.ndim(x2) == 1 else g
    grad_a = unbroadcast(matmul(g, _matrix_transpose(b)), np.shape(a))  # dL/dA = G Bᵀ
    grad_b = unbroadcast(matmul(_matrix_transpose(a), g), np.shape(b))  # dL/dB = Aᵀ G
    return [reshape(grad_a, np.shape(x1)), reshape(grad_b, np.shape(x2))]


@op(_matmul_vjp, differentiable=("x1", "x2"), ufunc=np.matmul)
def matmul(x1, x2):
    """The matrix product x1 @ x2 (batched over leading axes, broadcasting; a vector is a row on the left,
    a column on the right). Gradient: dL/dx1 = G x2ᵀ, dL/dx2 = x1ᵀ G, with G = dL/dy.

    Example:
        >>> matmul(np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    return np.matmul(x1, x2)


def _normalized_axes(x1, x2, axes) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        return list(range(np.ndim(x1) - axes, np.ndim(x1))), list(range(axes))
    first, second = ([a] if isinstance(a, (int, np.integer)) else list(a) for a in axes)
    return [a % np.ndim(x1) for a in first], [a % np.ndim(x2) for a in second]


def _tensordot_vjp(g, y, x1, x2, axes):
    contracted1, contracted2 = _normalized_axes(x1, x2, axes)
    free1 = [a for a in range(np.ndim(x1)) if a not in contracted1]
    free2 = [a for a in range(np.ndim(x2)) if a not in contracted2]
    g_free2 = list(range(len(free1), len(free1) + len(free2)))
    grad1 = tensordot(g, x2, (g_free2, free2))                    # axes: free1 + contracted1 (paired order)
    grad2 = tensordot(x1, g, (free1, list(range(len(free1)))))    # axes: contracted2 + free2
    return [transpose(grad1, tuple(np.argsort(free1 + contracted1))),
            transpose(grad2, tuple(np.argsort(contracted2 + free2)))]


@op(_tensordot_vjp, differentiable=("x1", "x2"), functions=(np.tensordot,))
def tensordot(x1, x2, axes=2):
    """Σ over the paired ``axes`` of x1 and x2 (an int: the last ``axes`` of x1 with the first of x2).
    Gradient: dL/dy contracted with the other operand over its free axes, permuted to the input's layout.

    Example:
        >>> tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5))).shape
        (2, 5)
    """
    return np.tensordot(x1, x2, axes)


def dot(x1, x2):
    """The dot product as ``np.dot``: x1 · x2 for scalars, Σ over the last axis of x1 and the second-to-last
    of x2 (the last if a vector) otherwise: a ``tensordot``, so differentiable.

    Example:
        >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array(11.)
    """
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, ([np.ndim(x1) - 1], [max(np.ndim(x2) - 2, 0)]))



def _explicit(subscripts: str, shapes: list) -> tuple[list[str], str]:
    """The subscripts of an einsum as letters only: (one string per operand, the output), with '...'
    spelled out and the implicit output (the letters that occur once, sorted) made explicit."""
    subscripts = subscripts.replace(" ", "")
    inputs, _, output = subscripts.partition("->")
    inputs = inputs.split(",")
    free = [c for c in string.ascii_letters if c not in subscripts]
    ellipsis_rank = max([len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes) if "..." in sub],
                                default=0)
    ellipsis = "".join(free[:ellipsis_rank])
    spelled = [sub.replace("...", ellipsis[ellipsis_rank - (len(s) - (len(sub) - 3)):]) for sub, s in
               zip(inputs, shapes)]
    if "->" not in subscripts:
        letters = "".join(spelled)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    return spelled, output.replace("...", ellipsis)


def _einsum_vjp(g, y, subscripts, *operands):
    inputs, output = _explicit(subscripts, [np.shape(x) for x in operands])
    sizes = {c: n for sub, x in zip(inputs, operands) for c, n in zip(sub, np.shape(x))}
    grads = []
    for i, (target, x) in enumerate(zip(inputs, operands)):
        if len(set(target)) != len(target):
            raise NotImplementedError(f"The gradient of einsum({subscripts!r}) for operand {i}, which repeats an "
                                      "index (a diagonal), is not supported yet.")
        others = [sub for j, sub in enumerate(inputs) if j != i]
        present = set(output).union(*others)
        kept = "".join(c for c in target if c in present)    # letters summed out of x alone come back by broadcast
        grad = einsum(",".join([output, *others]) + "->" + kept, g, *[o for j, o in enumerate(operands) if j != i])
        if kept != target:
            grad = broadcast_to(reshape(grad, tuple(sizes[c] if c in kept else 1 for c in target)),
                                tuple(sizes[c] for c in target))
        grads.append(unbroadcast(grad, np.shape(x)))
    return [grads]


@op(_einsum_vjp, differentiable=("operands",), functions=(np.einsum,))
def einsum(subscripts, *operands):
    """Einstein summation, as ``np.einsum`` ("ij,jk->ik" is a matrix product). Gradient of each operand: the
    einsum of dL/dy with the other operands, subscripts swapped ("ik,jk->ij" for the first one).

    Example:
        >>> einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    return np.einsum(subscripts, *operands)


def _norm_vjp(g, y, x, ord, axis, keepdims):
    vector_norm = isinstance(axis, (int, np.integer)) or (axis is None and np.ndim(x) == 1)
    if not (ord in (None, "fro") or ord == 2 and vector_norm):
        raise NotImplementedError(f"The gradient of norm is written for the Euclidean norm only. Received: ord={ord!r}")
    y = y if keepdims else reshape(y, _kept_shape(x, axis))
    return [_spread(g, x, axis, keepdims) * x / y]


@op(_norm_vjp, functions=(np.linalg.norm,))
def norm(x, ord=None, axis=None, keepdims=False):
    """Matrix or vector norm, as ``np.linalg.norm`` (default: the Euclidean norm of all entries, √Σx²).
    Gradient (Euclidean norm only): dL/dx = dL/dy · x / y.

    Example:
        >>> norm(np.array([3.0, 4.0]))
        np.float64(5.0)
    """
    if axis is None and ord is None:
        y = np.sqrt(np.sum(np.square(x)))
        return np.reshape(y, (1,) * np.ndim(x)) if keepdims else y
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def outer(x1, x2):
    """The outer product of the flattened x1 and x2: ``multiply`` of a column by a row, so d/dx1 = G x2, d/dx2 = Gᵀ x1.

    Example:
        >>> outer(np.array([1.0, 2.0]), np.array([3.0, 4.0])).tolist()
        [[3.0, 4.0], [6.0, 8.0]]
    """
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def inner(x1, x2):
    """Σ over the last axes of x1 and x2 (a scalar times an array if either is 0-d), as ``np.inner``: a
    ``tensordot``, so its gradient is tensordot's.

    Example:
        >>> inner(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array(11.)
    """
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, ([-1], [-1]))


def vdot(x1, x2):
    """Σ x1 x2 of the flattened (real) arrays: d/dx1 = g x2, d/dx2 = g x1.

    Example:
        >>> vdot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array(11.)
    """
    return tensordot(reshape(x1, (-1,)), reshape(x2, (-1,)), 1)


def _trace_vjp(g, y, x, offset, axis1, axis2):
    eye = np.eye(np.shape(x)[axis1], np.shape(x)[axis2], offset, dtype=np.asarray(y).dtype)
    g = expand_dims(expand_dims(g, -1), -1) * eye
    ndim = np.ndim(x)
    rest = [a for a in range(ndim) if a not in (axis1 % ndim, axis2 % ndim)]
    order = rest + [axis1 % ndim, axis2 % ndim]
    return [transpose(g, tuple(np.argsort(order)))]


@op(_trace_vjp)
def trace(x, offset=0, axis1=0, axis2=1):
    """Σ of the ``offset`` diagonal of axes (axis1, axis2), as ``np.trace``. Gradient: dL/dy on that diagonal, 0 off it.

    Example:
        >>> trace(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array(5.)
    """
    return np.asarray(np.trace(x, offset, axis1, axis2))


@op(lambda g, y, x: [-_matrix_transpose(y) @ g @ _matrix_transpose(y)])
def inv(x):
    """The inverse of the square matrices in the last two axes. Gradient: dL/dx = −Yᵀ G Yᵀ, Y = x⁻¹.

    Example:
        >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return np.linalg.inv(x)


@op(lambda g, y, x: [expand_dims(expand_dims(g * y, -1), -1) * _matrix_transpose(inv(x))])
def det(x):
    """The determinant of the square matrices in the last two axes. Gradient: dL/dx = g · det(x) · x⁻ᵀ.

    Example:
        >>> det(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array(8.)
    """
    return np.asarray(np.linalg.det(x))


def _solve_vjp(g, y, a, b):
    vector = np.ndim(b) == np.ndim(a) - 1
    grad_b = solve(_matrix_transpose(a), g)                      # dL/db = A⁻ᵀ G
    column_b, column_y = (expand_dims(grad_b, -1), expand_dims(y, -1)) if vector else (grad_b, y)
    grad_a = -column_b @ _matrix_transpose(column_y)             # dL/dA = −(A⁻ᵀ G) Yᵀ
    return [unbroadcast(grad_a, np.shape(a)), unbroadcast(grad_b, np.shape(b))]


@op(_solve_vjp, differentiable=("a", "b"))
def solve(a, b):
    """The x with a x = b for square a in the last two axes (b a matrix or, one axis less, a vector).
    Gradient: dL/db = a⁻ᵀ G, dL/da = −(a⁻ᵀ G) xᵀ.

    Example:
        >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([[2.0], [4.0]])).tolist()
        [[1.0], [1.0]]
    """
    a, b = np.asarray(a), np.asarray(b)
    if b.ndim == a.ndim - 1:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)
