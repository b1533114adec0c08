"""Training set, the two AutoML engines, the champion, and the walk-forward evaluation."""

import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import dagster as dg
import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from pydantic import Field

from mlb_assets.defs.automation import TRAINING_POOL, after_update_of
from mlb_assets.defs.catalog import table_metadata
from mlb_assets.defs.partitions import markdown_preview, model_target_partitions
from mlb_assets.lib import settings
from mlb_assets.lib.evaluation import (
    evidence_table,
    paired_against_market,
    time_split,
    verdict,
    walk_forward,
)
from mlb_assets.lib.features.skew import empty_in_training, skew_report
from mlb_assets.lib.features.training_set import (
    ANCHOR_COLUMNS,
    build_training_set,
    fingerprint,
    training_set_path,
)
from mlb_assets.lib.models.anchored import (
    anchor_column,
    anchor_trained,
    engine_features,
    offered_features,
)
from mlb_assets.lib.models.autogluon_engine import train_autogluon
from mlb_assets.lib.models.evidence import Evidence
from mlb_assets.lib.models.h2o_engine import ensure_h2o, train_h2o
from mlb_assets.lib.models.pyfunc import ModelSpec, TrainedModel, load_scorer
from mlb_assets.lib.models.registry import TrainingData, champion_version, train_run
from mlb_assets.lib.models.tracking import configure, redact, run_url
from mlb_assets.lib.names import (
    DECISION_MINUTES_BEFORE,
    FEATURE_SETS,
    MODEL_NAMES,
    TRAIN_LAST_DATE_PARAM,
)
from mlb_assets.lib.warehouse.features import read_feature_inputs
from mlb_assets.lib.warehouse.load import bulk_insert
from mlb_assets.lib.warehouse.schema import model_calibration as calibration_table
from mlb_assets.lib.warehouse.schema import model_evaluation as evaluation_table
from mlb_assets.lib.warehouse.schema import model_evidence as evidence_table_schema
from mlb_assets.resources.models import H2OResource, MlflowResource
from mlb_assets.resources.warehouse import WarehouseResource


class TrainingSetConfig(dg.Config):
    """Which games the models learn from."""

    cutoff: str | None = None  # ISO date: games before it (default: every game)
    first_season: int | None = None


@dg.asset(
    group_name="models",
    kinds={"python", "parquet"},
    deps=list(FEATURE_SETS),
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
    with warehouse.connect() as connection:
        inputs = read_feature_inputs(connection, None, cutoff, None)
    games = inputs["games"]
    if config.first_season is not None:
        games = games[games["season"] >= config.first_season]
    built = build_training_set(
        games,
        inputs["snapshots"],
        inputs["open_close"],
        inputs["consensus"],
        decision_minutes_before=DECISION_MINUTES_BEFORE,
        observations=inputs["observations"],
    )
    frame = built.frame
    if cutoff is not None:
        frame = frame[pd.to_datetime(frame["game_date"]).dt.date < cutoff]
    digest = fingerprint(frame, ["game_id", *built.input_columns, *built.target_columns])
    path = training_set_path(settings.home_dir(warehouse.home))
    frame.to_parquet(path, index=False)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "features": built.feature_columns,
                "anchors": ANCHOR_COLUMNS,
                "targets": built.target_columns,
                "fingerprint": digest,
            }
        )
    )
    context.log.info(f"training set: {len(frame)} games, {len(built.feature_columns)} features")
    skew = season_skew(frame, built.feature_columns)
    if skew.flagged:
        context.log.info(
            f"features empty in {skew.train_season} but filled in {skew.score_season} (not "
            f"offered to a model trained before {skew.score_season}): {skew.flagged}"
        )
    return dg.MaterializeResult(
        metadata={
            "rows": len(frame),
            "features": len(built.feature_columns),
            **skew.metadata(),
            "fingerprint": digest,
            "seasons": dg.MetadataValue.json(sorted(int(s) for s in frame["season"].unique())),
            "home_win_rate": float(frame["home_win"].mean()),
            "path": str(path),
            "preview": markdown_preview(
                frame[["game_id", "game_date", "home_win", "market_home_prob_anchor"]]
            ),
        }
    )


@dataclass(frozen=True)
class SeasonSkew:
    """The last training season against the scored (latest) season, per feature."""

    train_season: int | None
    score_season: int | None
    report: pd.DataFrame
    flagged: list[str]

    def metadata(self) -> dict[str, object]:
        if self.report.empty:
            return {"skew_report": "one season only: nothing to compare"}
        shown = self.report.assign(
            gap=self.report["std_mean_shift"].abs().fillna(np.inf)
        ).sort_values("gap", ascending=False)
        return {
            "skew_seasons": f"{self.train_season} (training) vs {self.score_season} (scored)",
            "features_empty_in_training": dg.MetadataValue.json(self.flagged),
            "skew_report": dg.MetadataValue.md(
                shown.drop(columns="gap").round(4).to_markdown(index=False)
            ),
        }


def season_skew(frame: pd.DataFrame, features: list[str]) -> SeasonSkew:
    """:func:`skew_report` of the season before the latest against the latest one."""
    seasons = sorted(int(s) for s in frame["season"].unique())
    if len(seasons) < 2:
        return SeasonSkew(None, seasons[-1] if seasons else None, pd.DataFrame(), [])
    train_season, score_season = seasons[-2], seasons[-1]
    report = skew_report(
        frame[frame["season"] == train_season], frame[frame["season"] == score_season], features
    )
    return SeasonSkew(train_season, score_season, report, empty_in_training(report))


def load_training_set(warehouse: WarehouseResource) -> tuple[pd.DataFrame, dict]:
    path = training_set_path(settings.home_dir(warehouse.home))
    if not path.exists():
        raise FileNotFoundError(f"no training set at {path}: materialize training_set first")
    return pd.read_parquet(path), json.loads(path.with_suffix(".json").read_text())


Engine = Literal["h2o", "autogluon"]


class TrainingConfig(dg.Config):
    """An AutoML training: budget, seed, device and validation split (the target is the
    partition: one per entry of lib/names.MODEL_NAMES)."""

    time_budget_seconds: int = 60
    seed: int = 42
    device: Literal["auto", "cpu", "gpu"] = "auto"
    validation_fraction: float = 0.15
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
    target: str,
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
            target,
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
        target,
        time_limit=config.time_budget_seconds,
        presets=config.presets,
        seed=config.seed,
        device=config.device,
        work_dir=work_dir,
    )


def fit_anchored(
    engine: Engine,
    target: str,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    candidates: list[str],
    config: TrainingConfig,
    work_dir: Path,
    h2o: H2OResource,
) -> TrainedModel:
    """The engine on the features its training rows have, anchored on the market.

    The engine learns on ``train`` from the candidates that are not the target market's own
    price and that enough training rows fill; the blend with the market is fit on
    ``valid``, which the engine never saw.
    """
    features = offered_features(train, engine_features(target, candidates))
    if not features:
        raise dg.Failure(f"no feature is filled in the training rows of {target}")
    trained = fit_engine(engine, target, train, valid, features, config, work_dir, h2o)
    return anchor_trained(trained, valid, anchor_column(target))


def _train_and_register(
    engine: Engine,
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
    h2o: H2OResource,
) -> dg.MaterializeResult:
    target = context.partition_key
    frame, meta = load_training_set(warehouse)
    frame = games_before(frame, config.train_before)
    train, valid = time_split(frame, target, config.validation_fraction)
    seen = pd.to_datetime(pd.concat([train["game_date"], valid["game_date"]]))
    context.log.info(
        f"{engine} ({target}): {len(train)} training rows, {len(valid)} validation rows, games "
        f"{seen.min():%Y-%m-%d}..{seen.max():%Y-%m-%d}"
    )
    trained = fit_anchored(
        engine, target, train, valid, meta["features"], config, _work_dir(warehouse, engine), h2o
    )
    context.log.info(
        f"{engine}: {len(trained.features)} of {len(meta['features'])} candidate features "
        f"offered; anchored on {trained.params['anchor']}: gamma "
        f"{trained.params['blend_gamma']:+.3f} (engine bias "
        f"{trained.params['blend_center']:+.3f}); "
        f"validation log-loss engine {trained.params['engine_val_log_loss']:.4f}, market "
        f"{trained.params['market_val_log_loss']:.4f}, anchored "
        f"{trained.val_metrics['log_loss']:.4f}"
    )
    registered = train_run(
        trained,
        settings=mlflow.settings(),
        experiment=mlflow.experiment,
        model_name=MODEL_NAMES[target],
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
        tags={"dagster_run_id": context.run_id, "dagster_asset": f"{engine}_model"},
        training_data=TrainingData(
            frame=pd.concat([train, valid], ignore_index=True),
            source=str(training_set_path(settings.home_dir(warehouse.home))),
            digest=meta["fingerprint"],
        ),
    )
    link = run_url(mlflow.settings(), registered.experiment_id, registered.run_id)
    context.log.info(
        f"{engine}: version {registered.version}, validation log-loss "
        f"{registered.val_log_loss:.4f}, champion moved: {registered.promoted}"
    )
    return dg.MaterializeResult(
        metadata={
            "model_name": registered.model_name,
            "version": registered.version,
            "run_id": registered.run_id,
            **({"mlflow_run": dg.MetadataValue.url(link)} if link else {}),
            "promoted_to_champion": registered.promoted,
            "device": trained.device,
            "train_seconds": round(trained.train_seconds, 1),
            **{f"val_{k}": float(v) for k, v in trained.val_metrics.items()},
            "val_engine_log_loss": float(trained.params["engine_val_log_loss"]),
            "val_market_log_loss": float(trained.params["market_val_log_loss"]),
            "blend_gamma": float(trained.params["blend_gamma"]),
            "features_offered": dg.MetadataValue.json(trained.features),
            "data_fingerprint": meta["fingerprint"],
            "tracking_uri": redact(mlflow.settings().resolved_tracking_uri) or "",
            "leaderboard": markdown_preview(trained.leaderboard, rows=5),
        }
    )


@dg.asset(
    partitions_def=model_target_partitions,
    pool=TRAINING_POOL,
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
    partitions_def=model_target_partitions,
    pool=TRAINING_POOL,
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
    partitions_def=model_target_partitions,
    group_name="models",
    kinds={"mlflow"},
    deps=[h2o_model, autogluon_model],
    description=(
        "Per target, the registered model version behind the alias `champion` "
        "(models:/mlb_home_win@champion, models:/mlb_total_over@champion), which predictions load."
    ),
)
def champion(context: dg.AssetExecutionContext, mlflow: MlflowResource) -> dg.MaterializeResult:
    model_name = MODEL_NAMES[context.partition_key]
    client: MlflowClient = configure(mlflow.settings())
    version = champion_version(client, model_name)
    if version is None:
        raise dg.Failure(f"no champion registered for {model_name}")
    run = client.get_run(version.run_id)
    context.log.info(f"champion: {model_name} version {version.version}")
    return dg.MaterializeResult(
        metadata={
            "model_uri": f"models:/{model_name}@champion",
            "version": version.version,
            "engine": run.data.params.get("engine", ""),
            "val_log_loss": float(run.data.metrics.get("val_log_loss", np.nan)),
        }
    )


class EvaluationConfig(dg.Config):
    """The walk-forward evaluation: season, engines and their budget per monthly fit, and
    the bootstrap behind the intervals."""

    season: int = 2016
    engines: list[str] = Field(default_factory=lambda: ["h2o", "autogluon"])
    time_budget_seconds: int = 30
    seed: int = 42
    device: Literal["auto", "cpu", "gpu"] = "auto"
    bootstrap_samples: int = 2000


# The walk-forward column of the champion's own out-of-sample predictions.
CHAMPION_PREDICTOR = "champion"


def _fit_predict(engine: Engine, target: str, config: EvaluationConfig, warehouse, h2o, features):  # type: ignore[no-untyped-def]
    training = TrainingConfig(
        time_budget_seconds=config.time_budget_seconds,
        seed=config.seed,
        device=config.device,
    )

    def fit_predict(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        # The blend needs held-out games: the same share as a training for betting holds out.
        fit, valid = time_split(train, target, training.validation_fraction)
        work_dir = _work_dir(warehouse, f"eval-{engine}")
        trained = fit_anchored(engine, target, fit, valid, features, training, work_dir, h2o)
        inputs = ModelSpec.read(trained.model_dir).inputs
        return np.asarray(load_scorer(trained.model_dir)(test[inputs]), dtype=float)

    return fit_predict


@dataclass(frozen=True)
class ScoredChampion:
    """The champion that picks read, as the evaluation scores it."""

    model_name: str
    version: str
    train_last_date: str | None

    def label(self) -> str:
        return f"{self.model_name} v{self.version}"


def _champion_scorer(mlflow_resource: MlflowResource, model_name: str, log):  # type: ignore[no-untyped-def]
    """The champion's out-of-sample probabilities as a walk-forward predictor (no refit:
    the model that bets, exactly), NaN for games on or before its last training date."""
    client: MlflowClient = configure(mlflow_resource.settings())
    version = champion_version(client, model_name)
    if version is None:
        log(f"no champion registered for {model_name}: its evidence is not recorded")
        return None, None
    params = client.get_run(version.run_id).data.params
    champion = ScoredChampion(
        model_name, str(version.version), params.get(TRAIN_LAST_DATE_PARAM) or None
    )
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{version.version}")
    inputs = list(model.metadata.get_input_schema().input_names())

    def predict(_train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        probs = model.predict(test[inputs])["prob"].to_numpy(dtype=float)
        if champion.train_last_date is None:
            return np.full(len(test), np.nan)  # unknown training range: nothing is out of sample
        seen = pd.to_datetime(test["game_date"]) <= pd.Timestamp(champion.train_last_date)
        return np.where(seen.to_numpy(), np.nan, probs)

    return champion, predict


def _record_evidence(
    warehouse: WarehouseResource,
    champion: ScoredChampion,
    evidence: Evidence,
    *,
    evaluation_id: str,
    target: str,
    season: int,
    created: datetime,
) -> None:
    row = {
        "evaluation_id": evaluation_id,
        "model_name": champion.model_name,
        "model_version": champion.version,
        "target": target,
        "season": season,
        **evidence.as_record(),
        "created_at": created,
    }
    with warehouse.begin() as connection:
        bulk_insert(connection, evidence_table_schema, pd.DataFrame([row]))


@dg.asset(
    partitions_def=model_target_partitions,
    metadata=table_metadata("model_evaluation"),
    pool=TRAINING_POOL,
    group_name="models",
    kinds={"python", "sql"},
    deps=[training_set, champion],
    automation_condition=after_update_of("champion"),
    tags={"mlb_assets/kind": "training"},
    description=(
        "Walk-forward evaluation: for each month of the season, each engine (market-anchored, "
        "as trained for betting) is fit only on games before that month and predicts it; "
        "the champion that bets is scored as it is, on the games after its training data. "
        "Log-loss, Brier, AUC and calibration for each, for the market at decision time and "
        "for the close, into model_evaluation / model_calibration. The champion's paired "
        "bootstrap interval of per-game log-loss against the market, its calibration slope "
        "and its mean gap to the market go to model_evidence, which gates the stakes."
    ),
)
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    warehouse: WarehouseResource,
    h2o: H2OResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    target = context.partition_key
    frame, meta = load_training_set(warehouse)
    predictors = {
        e: _fit_predict(e, target, config, warehouse, h2o, meta["features"]) for e in config.engines
    }
    champion, score_champion = _champion_scorer(mlflow, MODEL_NAMES[target], context.log.info)
    if score_champion is not None:
        predictors[CHAMPION_PREDICTOR] = score_champion
    result = walk_forward(frame, target, config.season, predictors, log=context.log.info)
    evaluation_id = f"{config.season}-{target}-{uuid.uuid4().hex[:8]}"
    created = datetime.now(UTC)
    metrics = result.metrics.assign(
        evaluation_id=evaluation_id, target=target, season=config.season, created_at=created
    )
    calibration = result.calibration.assign(evaluation_id=evaluation_id)
    with warehouse.begin() as connection:
        bulk_insert(
            connection, evaluation_table, metrics[[c.name for c in evaluation_table.columns]]
        )
        bulk_insert(
            connection, calibration_table, calibration[[c.name for c in calibration_table.columns]]
        )
    # Every game's out-of-sample probability from each predictor, for audits and benchmarks.
    saved = evaluation_predictions_path(settings.home_dir(warehouse.home), config.season, target)
    result.predictions.to_parquet(saved, index=False)
    evidence = paired_against_market(
        result.predictions, list(predictors), n_boot=config.bootstrap_samples, seed=config.seed
    )
    summary = champion_verdict(champion, evidence.get(CHAMPION_PREDICTOR), config.season)
    if champion is not None and CHAMPION_PREDICTOR in evidence:
        _record_evidence(
            warehouse,
            champion,
            evidence[CHAMPION_PREDICTOR],
            evaluation_id=evaluation_id,
            target=target,
            season=config.season,
            created=created,
        )
    engines_verdict = verdict(result.metrics, list(config.engines), evidence)
    context.log.info(summary)
    context.log.info(engines_verdict)
    overall = result.metrics[result.metrics["period"] == "all"]
    table = evidence_table(evidence)
    return dg.MaterializeResult(
        metadata={
            "evaluation_id": evaluation_id,
            "verdict": summary,
            "engines_verdict": engines_verdict,
            "champion": champion.label() if champion else "none",
            **_evidence_metadata(evidence.get(CHAMPION_PREDICTOR)),
            "games": len(result.predictions),
            "predictions_path": str(saved),
            "overall": dg.MetadataValue.md(overall.round(4).to_markdown(index=False)),
            "against_market": dg.MetadataValue.md(
                table.round(4).to_markdown(index=False) if len(table) else "no predictor scored"
            ),
            "by_month": markdown_preview(result.metrics.round(4), rows=40),
        }
    )


def evaluation_predictions_path(home: Path, season: int, target: str) -> Path:
    """Where the latest walk-forward predictions of a season and target are kept."""
    path = home / "datasets" / f"evaluation_{season}_{target}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _evidence_metadata(evidence: Evidence | None) -> dict[str, float]:
    if evidence is None:
        return {}
    return {f"champion_{k}": float(v) for k, v in evidence.as_record().items()}


def champion_verdict(
    champion: ScoredChampion | None, evidence: Evidence | None, season: int
) -> str:
    """One honest sentence about the model that bets: an edge only with its interval."""
    if champion is None:
        return "no champion to score: no evidence of an edge, so no money can be staked"
    if evidence is None:
        return (
            f"champion {champion.label()} has fewer than 30 out-of-sample games in {season} "
            f"(trained through {champion.train_last_date}): no evidence of an edge"
        )
    shown = "shows an edge over" if evidence.shows_edge else "shows no proven edge over"
    return f"champion {champion.label()} {shown} the market at decision time: {evidence.describe()}"
