"""redes.ops: differentiable NumPy operations with Keras 3's names, signatures and defaults.

Outside a ``GradientTape`` each op is its NumPy forward and returns a plain array. Under a recording tape,
an op with a traced input records its vector-Jacobian product (shown with the forward in each module) and
returns a ``Traced`` array; Python's operators and NumPy's ufuncs on that array run as these ops.
Not differentiable (plain arrays, documented on each): comparisons, argmax, argsort, top_k's indices,
one_hot, shape, any, all, count_nonzero, the creation ops (``creation``: arange, zeros, eye, …); sign, floor, ceil and round are recorded with a zero gradient.

Modules: ``arithmetic`` (element-wise), ``trigonometry`` (sin … arctanh), ``linear_algebra`` (matmul, dot, tensordot, einsum, norm),
``reductions``, ``shapes`` (with ``unbroadcast``), ``nn``, ``core``; ``_define`` makes an op.

Example:
    >>> from redes import GradientTape, ops
    >>> x = np.array([[1.0, -2.0]])
    >>> w = np.array([[3.0], [1.0]])
    >>> with GradientTape() as tape:
    ...     tape.watch(w)
    ...     loss = ops.sum(ops.relu(ops.matmul(x, w)))
    >>> tape.gradient(loss, w).ravel().tolist()
    [1.0, -2.0]
"""

from .arithmetic import (abs, absolute, add, clip, divide, equal, exp, greater, greater_equal, less, less_equal,
                         log, log1p, maximum, minimum, multiply, negative, not_equal, power, reciprocal, sqrt,
                         square, subtract, where, expm1, log2, log10, rsqrt, erf, sign, floor, ceil, round)
from .trigonometry import (arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cos, cosh, sin, sinh, tan)
from .creation import arange, eye, full, full_like, linspace, meshgrid, ones, ones_like, zeros, zeros_like
from .core import cast, convert_to_numpy, convert_to_tensor, shape, stop_gradient
from .linear_algebra import det, dot, einsum, inner, inv, matmul, norm, outer, solve, tensordot, trace, vdot
from .nn import (moments, normalize, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, elu, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu, log_softmax, one_hot, relu, relu6, selu,
                 sigmoid, silu, softmax, softplus, softsign, tanh)
from .reductions import (all, any, average, count_nonzero, argmax, argsort, cumprod, cumsum, logsumexp, max, mean, min, prod, sort, std, sum, top_k,
                         var)
from .shapes import (broadcast_to, concatenate, expand_dims, flip, moveaxis, pad, repeat, reshape, roll, split,
                     squeeze, stack, swapaxes, take, take_along_axis, tile, transpose, tril, triu, unbroadcast)

__all__ = [
    "abs", "absolute", "add", "clip", "divide", "equal", "exp", "greater", "greater_equal", "less", "less_equal",
    "log", "log1p", "maximum", "minimum", "multiply", "negative", "not_equal", "power", "reciprocal", "sqrt", "square",
    "subtract", "where", "expm1", "log2", "log10", "rsqrt", "erf", "sign", "floor", "ceil", "round",
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cos", "cosh", "sin", "sinh", "tan",
    "arange", "eye", "full", "full_like", "linspace", "meshgrid", "ones", "ones_like", "zeros", "zeros_like",
    "cast", "convert_to_numpy", "convert_to_tensor", "shape", "stop_gradient",
    "dot", "einsum", "matmul", "norm", "tensordot", "det", "inner", "inv", "outer", "solve", "trace", "vdot",
    "elu", "gelu", "leaky_relu", "log_softmax", "one_hot", "relu", "sigmoid", "silu", "softmax", "softplus", "tanh",
    "moments", "normalize", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "hard_sigmoid", "hard_silu", "hard_swish", "relu6", "selu", "softsign",
    "argmax", "argsort", "logsumexp", "max", "mean", "min", "std", "sum", "top_k", "var",
    "cumprod", "cumsum", "prod", "sort", "all", "any", "average", "count_nonzero",
    "broadcast_to", "concatenate", "expand_dims", "reshape", "split", "squeeze", "stack", "take", "take_along_axis",
    "transpose", "unbroadcast",
    "flip", "moveaxis", "pad", "repeat", "roll", "swapaxes", "tile", "tril", "triu",
]
