"""Odds arithmetic against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlb_assets.lib.odds import (
    american_to_decimal,
    american_to_implied,
    is_valid_american,
    no_vig_multiplicative,
    no_vig_shin,
    overround,
    shin_z,
)

# -150 -> 150/250 = 0.6; +130 -> 100/230 = 10/23.
P_FAV, P_DOG = 0.6, 10 / 23


@pytest.mark.parametrize(
    ("price", "decimal", "implied"),
    [
        (-110, 1 + 100 / 110, 110 / 210),
        (-150, 1 + 100 / 150, 0.6),
        (130, 2.3, 10 / 23),
        (100, 2.0, 0.5),
        (-100, 2.0, 0.5),
        (-1000, 1.1, 1000 / 1100),
    ],
)
def test_scalar_conversions(price: int, decimal: float, implied: float) -> None:
    assert american_to_decimal(price) == pytest.approx(decimal)
    assert american_to_implied(price) == pytest.approx(implied)
    assert isinstance(american_to_implied(price), float)


def test_series_keeps_index_and_invalid_prices_become_nan() -> None:
    prices = pd.Series([-110, 130, 50, np.inf, -105.25, "abc", None], index=list("abcdefg"))
    implied = american_to_implied(prices)
    assert isinstance(implied, pd.Series)
    assert list(implied.index) == list("abcdefg")
    assert implied["a"] == pytest.approx(110 / 210)
    assert implied["b"] == pytest.approx(10 / 23)
    assert implied[["c", "d", "e", "f", "g"]].isna().all()


def test_numpy_input_gives_numpy_output() -> None:
    decimal = american_to_decimal(np.array([-200, 200, 0]))
    assert isinstance(decimal, np.ndarray)
    np.testing.assert_allclose(decimal[:2], [1.5, 3.0])
    assert np.isnan(decimal[2])


@pytest.mark.parametrize(
    ("price", "valid"),
    [
        (-110, True),
        (100, True),
        (-100, True),
        (99, False),
        (-99.0, False),
        (0, False),
        (110.5, True),  # half cents are quoted
        (-219.5, True),
        (110.25, False),
        (math.inf, False),
        (math.nan, False),
    ],
)
def test_is_valid_american(price: float, valid: bool) -> None:
    assert is_valid_american(price) is valid


def test_is_valid_american_vectorized() -> None:
    flags = is_valid_american(pd.Series([-110, "x", 1.91]))
    assert flags.tolist() == [True, False, False]


def test_even_market_no_vig_is_one_half() -> None:
    p = american_to_implied(-110)
    assert no_vig_multiplicative(p, p) == pytest.approx((0.5, 0.5))
    assert no_vig_shin(p, p) == pytest.approx((0.5, 0.5))
    # booksum 220/210: the margin is 1/21.
    assert overround(p, p) == pytest.approx(1 / 21)


def test_multiplicative_by_hand() -> None:
    # 0.6 / (0.6 + 10/23) = 13.8 / 23.8 = 69/119; the dog gets 50/119.
    q_fav, q_dog = no_vig_multiplicative(P_FAV, P_DOG)
    assert q_fav == pytest.approx(69 / 119)
    assert q_dog == pytest.approx(50 / 119)


def _shin_by_bisection(p: list[float]) -> list[float]:
    """Shin's probabilities for any number of outcomes, solving sum(q) = 1 for z numerically.

    q_i(z) = (sqrt(z^2 + 4 (1 - z) p_i^2 / B) - z) / (2 (1 - z)); sum(q) decreases in z
    from B^(-1/2) * sum(p) = sqrt(B) > 1 at z = 0, so bisection on [0, 1) finds the root.
    """
    booksum = sum(p)

    def q(z: float) -> list[float]:
        return [
            (math.sqrt(z * z + 4 * (1 - z) * pi * pi / booksum) - z) / (2 * (1 - z)) for pi in p
        ]

    low, high = 0.0, 0.999
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if sum(q(mid)) > 1 else (low, mid)
    return q((low + high) / 2)


def test_shin_matches_an_independent_numerical_solution() -> None:
    expected = _shin_by_bisection([P_FAV, P_DOG])
    # For two outcomes the margin is split equally: 0.6 - (0.6 + 10/23 - 1) / 2.
    assert expected[0] == pytest.approx(0.6 - (0.6 + 10 / 23 - 1) / 2, abs=1e-12)
    q_fav, q_dog = no_vig_shin(P_FAV, P_DOG)
    assert q_fav == pytest.approx(expected[0], abs=1e-12)
    assert q_dog == pytest.approx(expected[1], abs=1e-12)


def test_shin_takes_more_off_the_longshot_than_multiplicative() -> None:
    _, shin_dog = no_vig_shin(P_FAV, P_DOG)
    _, mult_dog = no_vig_multiplicative(P_FAV, P_DOG)
    assert shin_dog < mult_dog


def test_shin_z_closed_form() -> None:
    p = american_to_implied(-110)
    # D = 0 gives z = B - 1.
    assert shin_z(p, p) == pytest.approx(1 / 21)
    assert math.isnan(shin_z(0.45, 0.5))  # no margin: outside Shin's model
    q_a, _ = no_vig_shin(0.45, 0.5)
    assert math.isnan(q_a)


def test_shin_vectorized_over_series() -> None:
    p_a = pd.Series([P_FAV, 110 / 210], index=[10, 20])
    p_b = pd.Series([P_DOG, 110 / 210], index=[10, 20])
    q_a, q_b = no_vig_shin(p_a, p_b)
    assert list(q_a.index) == [10, 20]
    np.testing.assert_allclose((q_a + q_b).to_numpy(), [1.0, 1.0])


american = st.one_of(st.integers(100, 5000), st.integers(-5000, -100))


@given(american, american)
def test_no_vig_probabilities_sum_to_one(price_a: int, price_b: int) -> None:
    p_a, p_b = american_to_implied(price_a), american_to_implied(price_b)
    methods = [no_vig_multiplicative(p_a, p_b)]
    if p_a + p_b >= 1:  # Shin's model needs a margin
        methods.append(no_vig_shin(p_a, p_b))
    for q_a, q_b in methods:
        assert q_a + q_b == pytest.approx(1.0)
        assert 0 <= q_a <= 1
