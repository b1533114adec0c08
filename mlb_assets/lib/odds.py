"""Odds arithmetic: American prices, implied probabilities and removing the margin.

Every function accepts a scalar, a numpy array or a pandas Series and answers in the
same shape (a Series keeps its index), so the same code serves one quote and a season.

An invalid American price (see :func:`is_valid_american`) converts to NaN rather than
raising: sources deliver garbage now and then, and a NaN propagates visibly instead of
turning into a plausible-looking probability.

Two-way margin removal (``p_a``/``p_b`` are the implied probabilities of the two
outcomes of one market, e.g. home/away or over/under):

* multiplicative (proportional) normalisation, ``q_i = p_i / (p_a + p_b)``;
* Shin's model (Shin 1991, 1993), which attributes the margin to the bookmaker's
  protection against a share ``z`` of insider money.

References:
    H. S. Shin (1991), "Optimal betting odds against insider traders",
    The Economic Journal 101(408), 1179-1185.
    H. S. Shin (1993), "Measuring the incidence of insider trading in a market for
    state-contingent claims", The Economic Journal 103(420), 1141-1153.
    B. Jullien and B. Salanie (1994), "Measuring the incidence of insider trading:
    a comment on Shin", The Economic Journal 104(427), 1418-1419 (the two-outcome
    closed form for ``z``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ArrayLike = float | np.ndarray | pd.Series


def _as_float_array(values: object) -> np.ndarray:
    """Coerce any input to a float array; non-numeric entries become NaN."""
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array.astype(float)
    numeric = pd.to_numeric(pd.Series(array.ravel()), errors="coerce")
    return numeric.to_numpy(float).reshape(array.shape)


def _like(result: np.ndarray, template: object) -> ArrayLike:
    """Return ``result`` in the container type of ``template`` (Series, array or scalar)."""
    if isinstance(template, pd.Series):
        return pd.Series(result, index=template.index, name=template.name)
    if np.ndim(template) == 0:
        return float(result)
    return result


def is_valid_american(price: ArrayLike) -> ArrayLike:
    """True where ``price`` is a usable American price: finite, whole or half-cent, ``|p| >= 100``.

    American prices are whole numbers by convention, but books and the season workbooks
    also quote half cents (``-219.5``), which convert like any other price. Any other
    fraction, or a value between -100 and +100, means the source sent decimal odds, a
    probability, a truncated number or garbage.
    """
    values = _as_float_array(price)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(values) & (np.abs(values) >= 100) & (np.mod(values * 2, 1) == 0)
    if isinstance(price, pd.Series):
        return pd.Series(valid, index=price.index, name=price.name)
    return bool(valid) if np.ndim(price) == 0 else valid


def american_to_decimal(price: ArrayLike) -> ArrayLike:
    """Decimal odds (total return per unit staked): +130 -> 2.30, -150 -> 1.666...

    NaN where the price is not a valid American price.
    """
    values = _as_float_array(price)
    valid = np.asarray(is_valid_american(values))
    safe = np.where(valid, values, 100.0)  # placeholder avoids division warnings
    decimal = np.where(safe > 0, 1.0 + safe / 100.0, 1.0 + 100.0 / np.abs(safe))
    return _like(np.where(valid, decimal, np.nan), price)


def american_to_implied(price: ArrayLike) -> ArrayLike:
    """Implied probability ``1 / decimal`` including the margin: -110 -> 0.5238.

    NaN where the price is not a valid American price.
    """
    return _like(1.0 / _as_float_array(american_to_decimal(_as_float_array(price))), price)


def overround(p_a: ArrayLike, p_b: ArrayLike) -> ArrayLike:
    """The bookmaker's margin of a two-way market: ``p_a + p_b - 1`` (0.0476 for -110/-110)."""
    result = _as_float_array(p_a) + _as_float_array(p_b) - 1.0
    return _like(result, p_a)


def no_vig_multiplicative(p_a: ArrayLike, p_b: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """Remove the margin proportionally: ``q_i = p_i / (p_a + p_b)``.

    The standard market baseline: it keeps the ratio of the two implied probabilities.
    """
    a, b = _as_float_array(p_a), _as_float_array(p_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = a + b
        return _like(a / total, p_a), _like(b / total, p_b)


def shin_z(p_a: ArrayLike, p_b: ArrayLike) -> ArrayLike:
    """Shin's insider share ``z`` of a two-way market, in closed form.

    With booksum ``B = p_a + p_b`` and ``D = p_a - p_b`` (Jullien and Salanie 1994)::

        z = (B - 1) * (D**2 - B) / (B * (D**2 - 1))

    It solves ``q_a(z) + q_b(z) = 1`` for the Shin probabilities of
    :func:`no_vig_shin`. NaN where ``B < 1``: the model needs a positive margin.
    """
    a, b = _as_float_array(p_a), _as_float_array(p_b)
    booksum, diff2 = a + b, (a - b) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (booksum - 1.0) * (diff2 - booksum) / (booksum * (diff2 - 1.0))
    return _like(np.where(booksum >= 1.0, z, np.nan), p_a)


def no_vig_shin(p_a: ArrayLike, p_b: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """Remove the margin with Shin's model (Shin 1991, 1993).

    Shin's true probability of outcome ``i`` given implied probabilities ``p_i``,
    booksum ``B`` and insider share ``z``::

        q_i = (sqrt(z**2 + 4 * (1 - z) * p_i**2 / B) - z) / (2 * (1 - z))

    where ``z`` makes the ``q_i`` sum to one. For two outcomes ``z`` has the closed
    form of :func:`shin_z`, so no iteration is needed; substituting it, the formula
    reduces to ``q_i = p_i - (B - 1) / 2`` (the margin split equally), which the
    tests check against a numerical root of the general equation. Compared with the
    multiplicative method it takes proportionally more of the margin off the
    longshot, which is how it accounts for the favourite-longshot bias. NaN where ``B < 1``.
    """
    a, b = _as_float_array(p_a), _as_float_array(p_b)
    z = _as_float_array(shin_z(a, b))
    booksum = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        root_a = np.sqrt(z**2 + 4.0 * (1.0 - z) * a**2 / booksum)
        root_b = np.sqrt(z**2 + 4.0 * (1.0 - z) * b**2 / booksum)
        q_a = (root_a - z) / (2.0 * (1.0 - z))
        q_b = (root_b - z) / (2.0 * (1.0 - z))
    return _like(q_a, p_a), _like(q_b, p_b)
