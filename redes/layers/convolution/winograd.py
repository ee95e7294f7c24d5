"""Winograd's minimal filtering F(m×m, 3×3): a 3×3 stride-1 convolution with fewer multiplications.

Conv2D takes this path for a 3×3 kernel with strides 1, dilation 1, one group and at least
``MIN_CHANNELS`` input channels and filters (the seed CNN's second layer); every other shape
keeps im2col (``base._Conv``). Forward, dL/dx and dL/dW all run here. Shapes, channels last:
    input x (N, H, W, C), kernel w (3, 3, C, F), output y (N, Ho, Wo, F)
    tiles:  the output is cut into m×m tiles, t per image; tile (n, p) reads an α×α input tile d, α = m + 2.

One dimension: m outputs of a 3-tap correlation, y = Aᵀ [(G g) ⊙ (Bᵀ d)], cost α multiplications
instead of 3·m (Lavin and Gray, 2016). With the interpolation points of ``_POINTS`` and ∞, Aᵀ (m×α)
and G (α×3) are the Cook–Toom evaluation matrices (``transforms``) and Bᵀ (α×α) is the one matrix
that makes the identity exact (solved for and checked). Two dimensions apply the 1-D transforms along
both axes, T ⊗ T on the flattened tile; per block of images:
    U[k] = (G ⊗ G) w           (α², C, F)  the kernel, transformed once per call
    V[k] = (Bᵀ ⊗ Bᵀ) d         (α², t, C)  every input tile: one GEMM with K = α²
    M[k] = V[k] · U[k]          (α², t, F)  α² GEMMs (t, C)·(C, F): the only O(C·F) work
    Y    = (Aᵀ ⊗ Aᵀ) M         (m², t, F)  the output tiles
That is α² products per m² outputs instead of 9 per output: 4 per output for F(2, 3), 2.25 for
F(4, 3). Backward is the adjoint of each line, in reverse order, dY (m², t, F) being the output
gradient cut into the same tiles:
    dM = (Aᵀ ⊗ Aᵀ)ᵀ dY,   dU[k] = Σ_tiles V[k]ᵀ dM[k],   dL/dw = (G ⊗ G)ᵀ dU,
    dV[k] = dM[k] · U[k]ᵀ,  dd = (Bᵀ ⊗ Bᵀ)ᵀ dV, added into the overlapping input tiles.
Error against float64, relative to the largest magnitude (C = 32, F = 64 on 26×26; C = 256 on 14×14):
im2col 7e-7 and 5e-7; float32 F(2, 3) 3e-7; float32 F(4, 3) with the points 0, ±1, ±2 5.7e-6 and 8.1e-6,
with 0, ±1, ±1/2 7.1e-6 and 9.0e-6, with 0, ±1, 1/2, −2 (the best of ten sets tried) 1.7e-6 and 4.1e-6.
F(4, 3) would stay inside the parity tests' 1e-5 but lose a decimal digit against TensorFlow, so
float32 uses F(2, 3); float64 uses F(4, 3) (error 1e-14). Blocks of a few images keep V
and M in cache; the output is padded up to a multiple of m and cropped, and 'same' padding is a
zero border in the block's buffer.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ...backend import xp

MIN_CHANNELS = 8  # below this the α² GEMMs have K = C too small to beat im2col's one GEMM with K = 9·C
_BLOCK_BYTES = 2**19  # V of a block of images: small enough to stay in cache with M (measured 256 KiB–1 MiB best)
TILE_OUTPUTS = {"float64": 4, "float32": 2}  # m per dtype: see Winograd
_POINTS = {2: (0.0, 1.0, -1.0), 4: (0.0, 1.0, -1.0, 0.5, -2.0)}  # the finite interpolation points; then ∞


@functools.lru_cache(maxsize=None)
def transforms(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Bᵀ, G, Aᵀ) of F(m, 3) in float64, from the interpolation points; B is solved for and checked.

    Aᵀ[o, k] = p_k^o (and 1 at (m − 1, ∞)); G[k, j] = p_k^j / Π_{l≠k}(p_k − p_l) (and 1 at (∞, 2));
    Bᵀ solves Σ_k Aᵀ[o, k] G[k, j] Bᵀ[k, i] = [i = o + j] for every output o, tap j and input i.
    """
    points, tile = np.array(_POINTS[m]), m + 2
    a_t = np.zeros((m, tile))
    a_t[:, :-1] = points[None, :] ** np.arange(m)[:, None]
    a_t[-1, -1] = 1.0
    g = np.zeros((tile, 3))
    for k, p in enumerate(points):
        g[k] = p ** np.arange(3) / np.prod([p - q for q in points if q != p])
    g[-1, -1] = 1.0
    # The bilinear identity is linear in Bᵀ: one equation per (o, j, i), unknowns Bᵀ[k, i].
    coefficients = np.einsum("ok,kj->ojk", a_t, g).reshape(-1, tile)  # rows (o, j), columns k
    targets = np.zeros((m, 3, tile))
    for o in range(m):
        for j in range(3):
            targets[o, j, o + j] = 1.0
    b_t, *_ = np.linalg.lstsq(coefficients, targets.reshape(-1, tile), rcond=None)
    # Snap the solution to the short binary fractions it is made of: the solver leaves residues of 1e-17
    # to 1e-33 where the entries are 0, and those multiply gradients of 1e-15 into subnormal floats
    # (a float32 GEMM 7× slower, measured inside a training step).
    b_t = np.round(b_t * 2**12) / 2**12
    if not np.allclose(coefficients @ b_t, targets.reshape(-1, tile), atol=1e-12):
        raise AssertionError("the F(4, 3) transforms do not reproduce the correlation")
    return b_t, g, a_t


@functools.lru_cache(maxsize=8)
def _tile_transforms(m: int, dtype) -> tuple:
    """(Bᵀ ⊗ Bᵀ (α², α²), Aᵀ ⊗ Aᵀ (m², α²)) of F(m, 3) in the compute dtype."""
    b_t, _, a_t = transforms(m)
    return xp.asarray(np.kron(b_t, b_t), dtype=dtype), xp.asarray(np.kron(a_t, a_t), dtype=dtype)


def applies(kernel_shape: tuple, strides: tuple, dilation: tuple, groups: int) -> bool:
    """Whether a Conv2D of this kernel (3, 3, C, F) takes the Winograd path."""
    *window, channels, filters = kernel_shape
    return (tuple(window) == (3, 3) and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1
            and min(channels, filters) >= MIN_CHANNELS)


class Winograd:
    """The F(m×m, 3×3) convolution of inputs (N, H, W, C) with padding ``pad`` (0 'valid', 1 'same') in ``dtype``.

    m = ``TILE_OUTPUTS[dtype]``: 4 in float64, 2 in float32 (see the module's error table).
    """

    def __init__(self, input_shape: tuple, pad: int, dtype) -> None:
        _, height, width, self.channels = input_shape
        self.pad, self.key = pad, (tuple(input_shape[1:]), np.dtype(dtype))
        self.m = TILE_OUTPUTS[np.dtype(dtype).name]
        self.tile = self.m + 2  # α
        self.input_transform, self.output_transform = _tile_transforms(self.m, dtype)
        self.out = (height + 2 * pad - 2, width + 2 * pad - 2)  # (Ho, Wo)
        self.tiles = tuple(-(-o // self.m) for o in self.out)  # (th, tw): tiles per column and row
        self.padded = tuple(self.m * t + 2 for t in self.tiles)  # the input the tiles read
        self.direct = pad == 0 and self.padded == (height, width)  # the input itself is the padded input
        self.exact = self.out == tuple(self.m * t for t in self.tiles)  # the tiles cover the output exactly
        per_image = self.tile ** 2 * self.tiles[0] * self.tiles[1] * self.channels * np.dtype(dtype).itemsize
        self.images = max(1, _BLOCK_BYTES // per_image)  # images per block
        self._work: dict = {}  # the blocks' work arrays, by name (see _buffer)

    def _blocks(self, n: int) -> list[tuple[int, int]]:
        return [(start, min(start + self.images, n)) for start in range(0, n, self.images)]

    def _buffer(self, name: str, shape: tuple, dtype):
        """A work array of ``shape`` reused between blocks and calls (no fresh pages, no page faults).

        Fresh arrays of a few hundred KiB per block are mapped and unmapped by malloc each time;
        their page faults made the backward 1.5× slower inside a training step.
        """
        size = math.prod(shape)  # not np.prod: this runs a few times per block, where 10 µs a call add up
        flat = self._work.get(name)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._work[name] = xp.empty(max(size, 1), dtype=dtype)
        return flat[:size].reshape(shape)

    def _taps(self, padded):
        """(i, j, view): the α² strided views padded[:, i::m, j::m] of (images, th, tw, C), one per tile offset."""
        (th, tw), m = self.tiles, self.m
        return [(i, j, padded[:, i:i + m * th:m, j:j + m * tw:m]) for i in range(self.tile) for j in range(self.tile)]

    def _tile_view(self, padded):
        """The α² tap views of ``_taps`` as one strided view (α, α, images, th, tw, C): copied in one call."""
        images, rows, columns, channels = padded.strides
        return np.lib.stride_tricks.as_strided(
            padded, (self.tile, self.tile, padded.shape[0], *self.tiles, self.channels),
            (rows, columns, images, self.m * rows, self.m * columns, channels), writeable=False)

    def _padded(self, b: int, dtype):
        """The zeroed (images, m·th + 2, m·tw + 2, C) input of a block: the border is 'same' padding and rounding up."""
        padded = self._buffer("padded", (b, *self.padded, self.channels), dtype)
        padded.fill(0)
        return padded

    def _input_tiles(self, x, start: int, stop: int):
        """V = (Bᵀ ⊗ Bᵀ) d of images start:stop: (α², images·t, C)."""
        b, area = stop - start, self.tile ** 2
        if self.direct:
            padded = x[start:stop]
        else:
            padded = self._padded(b, x.dtype)
            padded[:, self.pad:self.pad + x.shape[1], self.pad:self.pad + x.shape[2]] = x[start:stop]
        d = self._buffer("tiles", (self.tile, self.tile, b, *self.tiles, self.channels), x.dtype)
        d[...] = self._tile_view(padded)
        v = self._buffer("v", (area, b * self.tiles[0] * self.tiles[1] * self.channels), x.dtype)
        xp.matmul(self.input_transform, d.reshape(area, -1), out=v)
        return v.reshape(area, -1, self.channels)

    def transformed_kernel(self, kernel, dtype):
        """U = (G ⊗ G) w: (α², C, F) in ``dtype``, computed in float64 and cast once."""
        g = transforms(self.m)[1]
        u = np.einsum("ai,ijcf,bj->abcf", g, kernel.astype(np.float64), g)
        return xp.asarray(u.reshape(self.tile ** 2, *kernel.shape[2:]), dtype=dtype)

    def forward(self, x, kernel):
        """y (N, Ho, Wo, F) = x ⋆ w."""
        u = self.transformed_kernel(kernel, x.dtype)
        filters, (th, tw), (ho, wo), m, area = kernel.shape[-1], self.tiles, self.out, self.m, self.tile ** 2
        y = xp.empty((x.shape[0], m * th, m * tw, filters), dtype=x.dtype)
        for start, stop in self._blocks(x.shape[0]):
            b = stop - start
            products = self._buffer("m", (area, b * th * tw, filters), x.dtype)  # M
            xp.matmul(self._input_tiles(x, start, stop), u, out=products)
            tiles = self._buffer("y", (m * m, b * th * tw * filters), x.dtype)
            xp.matmul(self.output_transform, products.reshape(area, -1), out=tiles)
            y[start:stop].reshape(b, th, m, tw, m, filters)[...] = (
                tiles.reshape(m, m, b, th, tw, filters).transpose(2, 3, 0, 4, 1, 5))
        return y if self.exact else y[:, :ho, :wo]

    def backward(self, x, kernel, grad, input_gradient: bool = True):
        """(dL/dx (N, H, W, C), dL/dw (3, 3, C, F)) from grad = dL/dy (N, Ho, Wo, F); dL/dx None if not wanted."""
        u = self.transformed_kernel(kernel, x.dtype)
        filters, (th, tw), (ho, wo), m, area = kernel.shape[-1], self.tiles, self.out, self.m, self.tile ** 2
        u_t = u.transpose(0, 2, 1)  # (α², F, C)
        du = xp.zeros(u.shape, dtype=x.dtype)
        du_block = xp.empty(u.shape, dtype=x.dtype)
        dx = xp.empty(x.shape, dtype=x.dtype) if input_gradient else None
        for start, stop in self._blocks(x.shape[0]):
            b = stop - start
            dy = self._buffer("dy", (m, m, b, th, tw, filters), x.dtype)  # dY, tile by tile
            if self.exact:
                dy[...] = grad[start:stop].reshape(b, th, m, tw, m, filters).transpose(2, 4, 0, 1, 3, 5)
            else:
                rounded = self._buffer("dy_rounded", (b, m * th, m * tw, filters), x.dtype)
                rounded.fill(0)
                rounded[:, :ho, :wo] = grad[start:stop]
                dy[...] = rounded.reshape(b, th, m, tw, m, filters).transpose(2, 4, 0, 1, 3, 5)
            dm = self._buffer("m", (area, b * th * tw, filters), x.dtype)  # dM
            xp.matmul(self.output_transform.T, dy.reshape(m * m, -1), out=dm.reshape(area, -1))
            xp.matmul(self._input_tiles(x, start, stop).transpose(0, 2, 1), dm, out=du_block)
            du += du_block
            if not input_gradient:
                continue
            dv = self._buffer("v", (area, b * th * tw, self.channels), x.dtype)  # dV (V is no longer needed)
            xp.matmul(dm, u_t, out=dv)
            dd = self._buffer("tiles", (self.tile, self.tile, b, th, tw, self.channels), x.dtype)
            xp.matmul(self.input_transform.T, dv.reshape(area, -1), out=dd.reshape(area, -1))
            padded = self._padded(b, x.dtype)
            for i, j, view in self._taps(padded):  # the tiles overlap by 2: add, in place
                view += dd[i, j]
            dx[start:stop] = padded[:, self.pad:self.pad + x.shape[1], self.pad:self.pad + x.shape[2]]
        g = transforms(self.m)[1]
        dw = np.einsum("ai,abcf,bj->ijcf", g, du.reshape(self.tile, self.tile, *du.shape[1:]).astype(np.float64), g)
        return dx, xp.asarray(dw, dtype=x.dtype)
