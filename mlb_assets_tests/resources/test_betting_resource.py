"""Staking configuration: from the environment, through the declared configuration."""

from __future__ import annotations

import pytest

from mlb_assets.config import ConfigError, load_config
from mlb_assets.resources import build_resources
from mlb_assets.resources.betting import BettingResource


def _betting(env: dict[str, str]) -> BettingResource:
    return build_resources(load_config(env))["betting"]  # type: ignore[return-value]


def test_defaults_are_the_documented_ones() -> None:
    params = _betting({}).staking()
    assert params.kelly_fraction == 0.25
    assert params.max_bet_share == pytest.approx(0.02)  # MAX_BET_PERCENT=2 means 2%
    assert params.min_edge == 0.03
    assert (params.tier_a, params.tier_b, params.tier_c) == (0.65, 0.60, 0.55)
    assert BettingResource().starting_bankroll == 10_000.0
    assert BettingResource().staking() == params


def test_every_variable_is_read() -> None:
    env = {
        "KELLY_FRACTION": "0.5",
        "MAX_BET_PERCENT": "1.5",
        "MIN_EDGE_THRESHOLD": "0.02",
        "SIGNAL_TIER_A": "0.7",
        "SIGNAL_TIER_B": "0.62",
        "SIGNAL_TIER_C": "0.56",
        "STARTING_BANKROLL": "500",
        "BETTING_BOOKS": "pinnacle, fanduel ,",
        "REFERENCE_BOOK": "circa",
        "NOVIG_METHOD": "shin",
    }
    resource = _betting(env)
    params = resource.staking()
    assert params.kelly_fraction == 0.5
    assert params.max_bet_share == pytest.approx(0.015)
    assert params.min_edge == 0.02
    assert (params.tier_a, params.tier_b, params.tier_c) == (0.7, 0.62, 0.56)
    assert resource.starting_bankroll == 500.0
    assert resource.book_list() == ["pinnacle", "fanduel"]
    assert resource.reference_book == "circa"
    assert resource.novig_method == "shin"
    assert BettingResource().book_list() is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KELLY_FRACTION": "a quarter"}, r"KELLY_FRACTION='a quarter' is not valid"),
        ({"KELLY_FRACTION": "1.5"}, r"KELLY_FRACTION='1.5' is not valid: expected a number"),
        ({"KELLY_FRACTION": "-0.25"}, r"KELLY_FRACTION='-0.25'"),
        ({"MAX_BET_PERCENT": "0"}, r"MAX_BET_PERCENT='0'"),
        ({"SIGNAL_TIER_A": "0.5"}, r"expected A >= B >= C"),
        ({"STARTING_BANKROLL": "-1"}, r"STARTING_BANKROLL='-1'"),
        ({"NOVIG_METHOD": "power"}, r"NOVIG_METHOD='power' is not valid: expected one of mult"),
    ],
)
def test_bad_values_are_refused_with_the_reason(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(env)
    assert len(str(raised.value).splitlines()) == 1
