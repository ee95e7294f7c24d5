"""Special functions NumPy lacks: the error function and its complement.

Method: W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 23 (1969) 631-637), with
the coefficients of Netlib SPECFUN ``CALERF``. Three ranges of y = |x|:

    y <= 0.46875        erf(x)  = x · R₁(x²)
    0.46875 < y <= 4    erfc(y) = e^(−y²) · R₂(y)
    y > 4               erfc(y) = e^(−y²) / y · (1/√π − R₃(1/y²) / y²)

where the R are ratios of polynomials. e^(−y²) is computed as
e^(−t²) · e^(−(y − t)(y + t)) with t = y rounded down to a multiple of 1/16,
so that the rounding of y² does not spoil the result.

Accuracy: in float64 the absolute error of ``erf`` is below 4e-16 on
[−10, 10], and ``erfc`` is within a few ulps (relative) down to its underflow
near 26.5, where it flushes to 0 as CALERF does. float32 input is computed in
float32 (float16 in float32) and returned in its own dtype, within ~5 ulps.

Speed: every range is evaluated on the whole array, its input clamped into
the range, and ``where`` picks the right one (faster in NumPy than gathering
each range with boolean indexing), except the rare |x| > 4, which is gathered.
The work is done in place where it can be, since fresh temporaries cost more
than the arithmetic: about 20-30 ns per element on one core, 3-6 times faster
than ``math.erf`` applied element by element.
"""

from __future__ import annotations

from .backend import xp

_SMALL = 0.46875
_MEDIUM = 4.0
_ERF_IS_ONE = 6.0  # erfc(6) ≈ 2e-17: erf(x) rounds to ±1 beyond, in float64 and float32
_ERFC_UNDERFLOW_32, _ERFC_UNDERFLOW_64 = 9.194, 26.543  # Cody's XBIG: erfc(x) underflows to 0 beyond
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1

# erf(x) = x · (A₄x⁸ + A₀x⁶ + A₁x⁴ + A₂x² + A₃) / (x⁸ + B₀x⁶ + B₁x⁴ + B₂x² + B₃) on |x| <= 0.46875
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
# erfc(y) · e^(y²) on 0.46875 < y <= 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
# asymptotic correction for y > 4, in powers of 1/y²
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)


def _ratio(t, numerator, denominator):
    """(Nₙtⁿ + N₀tⁿ⁻¹ + … + Nₙ₋₁) / (tⁿ + D₀tⁿ⁻¹ + … + Dₙ₋₁) by Horner's rule (Nₙ is the last entry).

    Returns a new array; works in place otherwise (fewer temporaries is most of the speed).
    """
    num = numerator[-1] * t
    den = t.copy()
    for a, b in zip(numerator[:-2], denominator[:-1]):
        num += a
        num *= t
        den += b
        den *= t
    num += numerator[-2]
    den += denominator[-1]
    num /= den
    return num


def _erf_small(y):
    """erf(y) where |y| <= 0.46875 (a new array; y is clipped into that range first)."""
    y = xp.clip(y, -_SMALL, _SMALL)
    result = _ratio(y * y, _A, _B)
    result *= y
    return result


def _erfc_large(y, limit: float):
    """erfc(y) where 0.46875 < y <= limit, for y >= 0 (a new array; y is clipped into that range first)."""
    clamped = xp.clip(y, _SMALL, limit)
    result = _ratio(xp.minimum(clamped, _MEDIUM), _C, _D)  # erfc(y) · e^(y²) for y <= 4
    big = clamped > _MEDIUM
    if big.any():  # rare in practice: gather, rather than evaluate everywhere
        y_big = clamped[big]
        inverse_square = 1 / (y_big * y_big)
        result[big] = (_ONE_OVER_SQRT_PI - inverse_square * _ratio(inverse_square, _P, _Q)) / y_big
    # e^(−y²) = e^(−t²) · e^(−(y − t)(y + t)), t = ⌊16y⌋ / 16 so that t² is exact.
    t = clamped * 16
    xp.trunc(t, out=t)
    t /= 16
    delta = clamped - t
    clamped += t
    delta *= clamped
    xp.square(t, out=t)
    for exponent in (t, delta):
        xp.negative(exponent, out=exponent)
        xp.exp(exponent, out=exponent)
        result *= exponent
    return result


def _as_float(x):
    """Return (x as an at least 1-D float array to compute in, dtype of the result, shape of x)."""
    x = xp.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype("float64")
    work = xp.dtype("float32") if dtype.itemsize < 4 else dtype
    return xp.atleast_1d(x.astype(work, copy=False)), dtype, x.shape


def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, element-wise (Cody's method, see module).

    Float64 absolute error < 4e-16; float input keeps its dtype, other input gives float64.

    Example:
        >>> erf(np.array([0.0, 0.5, -np.inf], dtype="float32"))
        array([ 0.        ,  0.52049994, -1.        ], dtype=float32)
    """
    x, dtype, shape = _as_float(x)
    y = xp.abs(x)
    result = _erfc_large(y, _ERF_IS_ONE)
    xp.subtract(1, result, out=result)
    result = xp.where(y <= _SMALL, _erf_small(y), result)
    xp.copysign(result, x, out=result)  # also nan at nan
    return result.astype(dtype, copy=False).reshape(shape)[()]


def erfc(x):
    """The complementary error function erfc(x) = 1 − erf(x), element-wise, without cancellation.

    Accurate to a few ulps (relative) in float64, also deep in the tail where
    1 − erf(x) would lose every digit (erfc(10) ≈ 2.1e-45). Dtypes as :func:`erf`.

    Example:
        >>> erfc(np.array([-1.0, 0.0, 5.0]))
        array([1.84270079e+00, 1.00000000e+00, 1.53745979e-12])
    """
    x, dtype, shape = _as_float(x)
    y = xp.abs(x)
    limit = _ERFC_UNDERFLOW_64 if x.dtype.itemsize >= 8 else _ERFC_UNDERFLOW_32
    result = xp.where(y >= limit, 0, _erfc_large(y, limit))
    result = xp.where(x < 0, 2 - result, result)
    small = _erf_small(x)
    xp.subtract(1, small, out=small)
    result = xp.where(y <= _SMALL, small, result)
    return result.astype(dtype, copy=False).reshape(shape)[()]
