"""Training set, the two AutoML engines, the champion, and the walk-forward evaluation."""

import json
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import dagster as dg
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from pydantic import Field

from mlb_assets.defs.features.assets import (
    DECISION_MINUTES_BEFORE,
    TrainingSetConfig,
    read_inputs,
    training_set_path,
)
from mlb_assets.defs.partitions import markdown_preview
from mlb_assets.lib import settings
from mlb_assets.lib.evaluation import time_split, verdict, walk_forward
from mlb_assets.lib.features.training_set import build_training_set, fingerprint
from mlb_assets.lib.models.autogluon_engine import train_autogluon
from mlb_assets.lib.models.h2o_engine import ensure_h2o, train_h2o
from mlb_assets.lib.models.pyfunc import TrainedModel, load_scorer
from mlb_assets.lib.models.registry import champion_version, train_run
from mlb_assets.lib.models.tracking import configure, redact
from mlb_assets.lib.warehouse.load import bulk_insert
from mlb_assets.lib.warehouse.schema import model_calibration as calibration_table
from mlb_assets.lib.warehouse.schema import model_evaluation as evaluation_table
from mlb_assets.resources.models import H2OResource, MlflowResource
from mlb_assets.resources.warehouse import WarehouseResource

MODEL_NAME = "mlb_home_win"
TRAIN_LAST_DATE_PARAM = "train_last_date"
FEATURE_ASSETS = ["sharp_action_features", "team_form", "pitcher_form"]


@dg.asset(
    group_name="models",
    kinds={"python", "parquet"},
    deps=FEATURE_ASSETS,
    description=(
        "One row per game with its point-in-time features, targets (home win; total over the "
        "decision-time line, pushes excluded), the market's no-vig probability at decision "
        "time and the closing probability (evaluation only). Built by the same code as the "
        "stored features, over every season in the warehouse; saved as parquet in "
        "MLB_ASSETS_HOME/datasets with its fingerprint."
    ),
)
def training_set(
    context: dg.AssetExecutionContext, config: TrainingSetConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    cutoff = date.fromisoformat(config.cutoff) if config.cutoff else None
    inputs = read_inputs(warehouse, None, cutoff, None)
    games = inputs["games"]
    if config.first_season is not None:
        games = games[games["season"] >= config.first_season]
    built = build_training_set(
        games,
        inputs["snapshots"],
        inputs["open_close"],
        inputs["consensus"],
        decision_minutes_before=DECISION_MINUTES_BEFORE,
    )
    frame = built.frame
    if cutoff is not None:
        frame = frame[pd.to_datetime(frame["game_date"]).dt.date < cutoff]
    digest = fingerprint(frame, ["game_id", *built.feature_columns, *built.target_columns])
    path = training_set_path(settings.home_dir(warehouse.home))
    frame.to_parquet(path, index=False)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "features": built.feature_columns,
                "targets": built.target_columns,
                "fingerprint": digest,
            }
        )
    )
    context.log.info(f"training set: {len(frame)} games, {len(built.feature_columns)} features")
    return dg.MaterializeResult(
        metadata={
            "rows": len(frame),
            "features": len(built.feature_columns),
            "fingerprint": digest,
            "seasons": dg.MetadataValue.json(sorted(int(s) for s in frame["season"].unique())),
            "home_win_rate": float(frame["home_win"].mean()),
            "path": str(path),
            "preview": markdown_preview(
                frame[["game_id", "game_date", "home_win", "market_home_prob_decision"]]
            ),
        }
    )


def load_training_set(warehouse: WarehouseResource) -> tuple[pd.DataFrame, dict]:
    path = training_set_path(settings.home_dir(warehouse.home))
    if not path.exists():
        raise FileNotFoundError(f"no training set at {path}: materialize training_set first")
    return pd.read_parquet(path), json.loads(path.with_suffix(".json").read_text())


Engine = Literal["h2o", "autogluon"]


class TrainingConfig(dg.Config):
    """An AutoML training: budget, seed, device, target and validation split."""

    target: str = "home_win"
    time_budget_seconds: int = 60
    seed: int = 42
    device: Literal["auto", "cpu", "gpu"] = "auto"
    validation_fraction: float = 0.15
    model_name: str = MODEL_NAME
    presets: str = "medium_quality"
    # ISO date: learn only from games before it, so that predictions from that date on are
    # out of sample (a backtest of the season starting there); unset: every game.
    train_before: str | None = None


def games_before(frame: pd.DataFrame, train_before: str | None) -> pd.DataFrame:
    """The training rows a model may learn from: games before ``train_before`` (all if unset)."""
    if not train_before:
        return frame
    kept = frame[
        pd.to_datetime(frame["game_date"]) < pd.Timestamp(date.fromisoformat(train_before))
    ]
    if kept.empty:
        raise dg.Failure(f"no training games before {train_before}")
    return kept


def _work_dir(warehouse: WarehouseResource, engine: str) -> Path:
    root = settings.home_dir(warehouse.home) / "models" / engine
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{datetime.now(UTC):%Y%m%dT%H%M%S}-", dir=root))


def fit_engine(
    engine: Engine,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: list[str],
    config: TrainingConfig,
    work_dir: Path,
    h2o: H2OResource,
) -> TrainedModel:
    """Train one engine within its budget (the H2O JVM is started once per process)."""
    if engine == "h2o":
        ensure_h2o(h2o.url, max_mem=h2o.max_mem, nthreads=h2o.nthreads)
        return train_h2o(
            train,
            valid,
            features,
            config.target,
            max_runtime_secs=config.time_budget_seconds,
            seed=config.seed,
            device=config.device,
            work_dir=work_dir,
            h2o_url=h2o.url,
        )
    return train_autogluon(
        train,
        valid,
        features,
        config.target,
        time_limit=config.time_budget_seconds,
        presets=config.presets,
        seed=config.seed,
        device=config.device,
        work_dir=work_dir,
    )


def _train_and_register(
    engine: Engine,
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
    h2o: H2OResource,
) -> dg.MaterializeResult:
    frame, meta = load_training_set(warehouse)
    frame = games_before(frame, config.train_before)
    train, valid = time_split(frame, config.target, config.validation_fraction)
    seen = pd.to_datetime(pd.concat([train["game_date"], valid["game_date"]]))
    context.log.info(
        f"{engine}: {len(train)} training rows, {len(valid)} validation rows, games "
        f"{seen.min():%Y-%m-%d}..{seen.max():%Y-%m-%d}"
    )
    trained = fit_engine(
        engine, train, valid, meta["features"], config, _work_dir(warehouse, engine), h2o
    )
    registered = train_run(
        trained,
        settings=mlflow.settings(),
        experiment=mlflow.experiment,
        model_name=config.model_name,
        params={
            "time_budget_seconds": config.time_budget_seconds,
            "seed": config.seed,
            "rows_train": len(train),
            "rows_valid": len(valid),
            # Predictions for games up to this date are in sample for this model.
            TRAIN_LAST_DATE_PARAM: f"{seen.max():%Y-%m-%d}",
            "train_before": config.train_before or "",
        },
        data_fingerprint=meta["fingerprint"],
    )
    context.log.info(
        f"{engine}: version {registered.version}, validation log-loss "
        f"{registered.val_log_loss:.4f}, champion moved: {registered.promoted}"
    )
    return dg.MaterializeResult(
        metadata={
            "model_name": registered.model_name,
            "version": registered.version,
            "run_id": registered.run_id,
            "promoted_to_champion": registered.promoted,
            "device": trained.device,
            "train_seconds": round(trained.train_seconds, 1),
            **{f"val_{k}": float(v) for k, v in trained.val_metrics.items()},
            "data_fingerprint": meta["fingerprint"],
            "tracking_uri": redact(mlflow.settings().resolved_tracking_uri) or "",
            "leaderboard": markdown_preview(trained.leaderboard, rows=5),
        }
    )


@dg.asset(
    group_name="models",
    kinds={"h2o", "mlflow"},
    deps=[training_set],
    tags={"mlb_assets/kind": "training"},
    description=(
        "H2O AutoML (time budget, seed; XGBoost on GPU when device is gpu/auto and one is "
        "present) trained on the training set before the latest 15% of dates, validated on "
        "them, logged to MLflow with its MOJO and registered; champion moves only on a "
        "strictly lower validation log-loss."
    ),
)
def h2o_model(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
    h2o: H2OResource,
) -> dg.MaterializeResult:
    return _train_and_register("h2o", context, config, warehouse, mlflow, h2o)


@dg.asset(
    group_name="models",
    kinds={"autogluon", "mlflow"},
    deps=[training_set],
    tags={"mlb_assets/kind": "training"},
    description=(
        "AutoGluon TabularPredictor (presets, time limit; torch model types excluded unless "
        "torch is installed; num_gpus from device) trained and validated like h2o_model, "
        "logged to MLflow as a pyfunc and registered; same champion rule."
    ),
)
def autogluon_model(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
    h2o: H2OResource,
) -> dg.MaterializeResult:
    return _train_and_register("autogluon", context, config, warehouse, mlflow, h2o)


@dg.asset(
    group_name="models",
    kinds={"mlflow"},
    deps=[h2o_model, autogluon_model],
    description="The registered model version behind the alias `champion`, which predictions load.",
)
def champion(context: dg.AssetExecutionContext, mlflow: MlflowResource) -> dg.MaterializeResult:
    client: MlflowClient = configure(mlflow.settings())
    version = champion_version(client, MODEL_NAME)
    if version is None:
        raise dg.Failure(f"no champion registered for {MODEL_NAME}")
    run = client.get_run(version.run_id)
    context.log.info(f"champion: {MODEL_NAME} version {version.version}")
    return dg.MaterializeResult(
        metadata={
            "model_uri": f"models:/{MODEL_NAME}@champion",
            "version": version.version,
            "engine": run.data.params.get("engine", ""),
            "val_log_loss": float(run.data.metrics.get("val_log_loss", np.nan)),
        }
    )


class EvaluationConfig(dg.Config):
    """The walk-forward evaluation: season, engines and their budget per monthly fit."""

    season: int = 2016
    target: str = "home_win"
    engines: list[str] = Field(default_factory=lambda: ["h2o", "autogluon"])
    time_budget_seconds: int = 30
    seed: int = 42
    device: Literal["auto", "cpu", "gpu"] = "auto"


def _fit_predict(engine: Engine, config: EvaluationConfig, warehouse, h2o, features):  # type: ignore[no-untyped-def]
    training = TrainingConfig(
        target=config.target,
        time_budget_seconds=config.time_budget_seconds,
        seed=config.seed,
        device=config.device,
    )

    def fit_predict(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        fit, valid = time_split(train, config.target, 0.1)
        trained = fit_engine(
            engine, fit, valid, features, training, _work_dir(warehouse, f"eval-{engine}"), h2o
        )
        return np.asarray(load_scorer(trained.model_dir)(test[features]), dtype=float)

    return fit_predict


@dg.asset(
    group_name="models",
    kinds={"python", "sql"},
    deps=[training_set],
    tags={"mlb_assets/kind": "training"},
    description=(
        "Walk-forward evaluation: for each month of the season, each engine is trained only "
        "on games before that month and predicts it. Log-loss, Brier, AUC and a calibration "
        "table for each engine, for the market's no-vig probability at decision time and for "
        "the closing line; written to model_evaluation / model_calibration. Reports plainly "
        "whether a model beats the market."
    ),
)
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    warehouse: WarehouseResource,
    h2o: H2OResource,
) -> dg.MaterializeResult:
    frame, meta = load_training_set(warehouse)
    engines = {e: _fit_predict(e, config, warehouse, h2o, meta["features"]) for e in config.engines}
    result = walk_forward(frame, config.target, config.season, engines, log=context.log.info)
    evaluation_id = f"{config.season}-{config.target}-{uuid.uuid4().hex[:8]}"
    created = datetime.now(UTC)
    metrics = result.metrics.assign(
        evaluation_id=evaluation_id, target=config.target, season=config.season, created_at=created
    )
    calibration = result.calibration.assign(evaluation_id=evaluation_id)
    with warehouse.begin() as connection:
        bulk_insert(
            connection, evaluation_table, metrics[[c.name for c in evaluation_table.columns]]
        )
        bulk_insert(
            connection, calibration_table, calibration[[c.name for c in calibration_table.columns]]
        )
    summary = verdict(result.metrics, list(config.engines))
    context.log.info(summary)
    overall = result.metrics[result.metrics["period"] == "all"]
    return dg.MaterializeResult(
        metadata={
            "evaluation_id": evaluation_id,
            "verdict": summary,
            "games": len(result.predictions),
            "overall": dg.MetadataValue.md(overall.round(4).to_markdown(index=False)),
            "by_month": markdown_preview(result.metrics.round(4), rows=40),
        }
    )
