"""Features, both AutoML engines, the champion and the walk-forward evaluation through the
graph, on a small real slice (April-May 2016) with tiny time budgets on CPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.models.registry import champion_version
from mlb_assets.lib.models.tracking import configure
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import game_features, model_evaluation
from mlb_assets.resources.models import MlflowResource

pytestmark = [pytest.mark.archive, pytest.mark.slow]

# ``trained`` (conftest): April-May 2016 backfilled, both engines trained on April only.


def _metadata(result, key: str) -> dict:  # type: ignore[no-untyped-def]
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_stored_features_match_the_training_set(trained: dict[str, object]) -> None:
    home = Path(str(trained["home"]))
    frame = pd.read_parquet(home / "datasets" / "training_set.parquet")
    with create_warehouse_engine(str(trained["url"])).connect() as connection:
        stored = read_frame(connection, sa.select(game_features))
    wide = stored.pivot(index="game_id", columns="name", values="value")
    common = [c for c in wide.columns if c in frame.columns]
    assert len(common) > 40
    joined = frame.set_index("game_id")[common].astype(float).loc[wide.index]
    pd.testing.assert_frame_equal(wide[common], joined, check_names=False)


def test_both_engines_registered_and_champion_is_the_best(trained: dict[str, object]) -> None:
    result = trained["result"]
    h2o, autogluon = _metadata(result, "h2o_model"), _metadata(result, "autogluon_model")
    assert h2o["device"] == "cpu" and autogluon["device"] == "cpu"
    first, second = sorted([h2o, autogluon], key=lambda m: int(m["version"]))
    assert first["promoted_to_champion"] is True  # the first version always becomes champion
    better = second["val_log_loss"] < first["val_log_loss"]
    assert second["promoted_to_champion"] is better  # the alias moves only on improvement
    settings = MlflowResource(home=str(trained["home"])).settings()
    version = champion_version(configure(settings), "mlb_home_win")
    expected = second["version"] if better else first["version"]
    assert str(version.version) == str(expected)


def test_evaluation_reports_engines_and_market(trained: dict[str, object]) -> None:
    with create_warehouse_engine(str(trained["url"])).connect() as connection:
        rows = read_frame(connection, sa.select(model_evaluation))
    overall = rows[rows["period"] == "all"].set_index("predictor")
    assert set(overall.index) == {"h2o", "autogluon", "market_decision", "market_close"}
    assert (overall["n"] == overall.loc["market_decision", "n"]).all()
    assert set(rows["period"]) == {"all", "2016-05"}  # April has no earlier games to learn from
    verdict = _metadata(trained["result"], "model_evaluation")["verdict"]
    assert "the market at decision time" in verdict


def test_champion_predictions_reload_in_a_fresh_process(trained: dict[str, object]) -> None:
    home = Path(str(trained["home"]))
    frame = pd.read_parquet(home / "datasets" / "training_set.parquet").tail(25)
    features = home / "features.parquet"
    out = home / "fresh_predictions.parquet"
    frame.to_parquet(features)
    settings = MlflowResource(home=str(home)).settings()
    script = (
        "import sys, pandas as pd\n"
        "from pathlib import Path\n"
        "from mlb_assets.lib.models.tracking import embedded\n"
        "from mlb_assets.lib.models.registry import load_champion\n"
        f"model = load_champion('mlb_home_win', embedded(Path({str(home)!r})))\n"
        f"frame = pd.read_parquet({str(features)!r})\n"
        "cols = model.metadata.get_input_schema().input_names()\n"
        "probs = model.predict(frame[cols].astype(float))['prob']\n"
        f"probs.to_frame().to_parquet({str(out)!r})\n"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    from mlb_assets.lib.models.registry import load_champion

    here = load_champion("mlb_home_win", settings)
    cols = here.metadata.get_input_schema().input_names()
    expected = here.predict(frame[cols].astype(float))["prob"].to_numpy()
    got = pd.read_parquet(out)["prob"].to_numpy()
    assert len(got) == 25
    assert got == pytest.approx(expected, abs=1e-9)
