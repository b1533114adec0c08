"""One MLflow run per trained model, registration, and the ``champion`` alias.

Every engine's model goes under one registered model name; the alias ``champion`` points
at the version that predictions use. A new version takes the alias only when there is no
champion yet or its validation log loss is strictly lower than the champion's (read from
the champion's own run), so a tie or a failed comparison keeps the model in service. The
decision and the numbers compared are written as tags on the new version, visible in the
MLflow UI next to the model.

The check and the alias move are not one transaction: two trainings of the same model
name finishing at the same instant could both read the old champion. Run one training
per model name at a time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from mlb_assets.lib.models.pyfunc import TrainedModel, log_model
from mlb_assets.lib.models.tracking import MlflowSettings, configure, ensure_experiment

CHAMPION_ALIAS = "champion"
CHAMPION_METRIC = "val_log_loss"
# MLflow's limits on a param value and a tag value (characters).
_MAX_PARAM_LENGTH = 6000
_MAX_TAG_LENGTH = 8000


@dataclass(frozen=True)
class RegisteredVersion:
    """The registered version a training produced and whether it became champion."""

    model_name: str
    version: str
    run_id: str
    val_log_loss: float
    promoted: bool
    experiment_id: str = ""


@dataclass(frozen=True)
class TrainingData:
    """The rows a model learned from, logged as the run's MLflow dataset input.

    ``source`` is where the rows live (the training set's parquet file); ``digest`` the
    training set's fingerprint, so two runs on the same rows show the same dataset.
    """

    frame: pd.DataFrame
    source: str
    digest: str
    name: str = "training_set"


def champion_uri(model_name: str) -> str:
    return f"models:/{model_name}@{CHAMPION_ALIAS}"


def _text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _run_params(
    trained: TrainedModel, params: dict[str, Any], data_fingerprint: str
) -> dict[str, str]:
    merged: dict[str, Any] = {
        **trained.params,
        **params,
        "engine": trained.engine,
        "device": trained.device,
        "target": trained.target,
        "features_count": len(trained.features),
        "data_fingerprint": data_fingerprint,
    }
    return {key: _text(value, _MAX_PARAM_LENGTH) for key, value in merged.items()}


def _run_metrics(trained: TrainedModel, extra: dict[str, float] | None) -> dict[str, float]:
    values = {f"val_{name}": float(value) for name, value in trained.val_metrics.items()}
    values["train_seconds"] = float(trained.train_seconds)
    values.update({name: float(value) for name, value in (extra or {}).items()})
    return values


def _log_run_contents(
    trained: TrainedModel,
    params: dict[str, Any],
    data_fingerprint: str,
    extra_metrics: dict[str, float] | None,
) -> None:
    mlflow.log_params(_run_params(trained, params, data_fingerprint))
    mlflow.log_metrics(_run_metrics(trained, extra_metrics))
    mlflow.log_dict({"features": trained.features, "target": trained.target}, "features.json")
    mlflow.log_text(trained.leaderboard.to_csv(index=False), "leaderboard.csv")
    mlflow.set_tags(
        {
            "engine": trained.engine,
            "device": trained.device,
            "data_fingerprint": data_fingerprint,
            "features": _text(trained.features, _MAX_TAG_LENGTH),
        }
    )


def train_run(
    trained: TrainedModel,
    *,
    settings: MlflowSettings,
    experiment: str,
    model_name: str,
    params: dict[str, Any],
    data_fingerprint: str,
    extra_metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
    training_data: TrainingData | None = None,
) -> RegisteredVersion:
    """Log ``trained`` as one run in ``experiment``, register it, and settle the champion.

    ``tags`` go on the run (the orchestrator's run id, so each side links to the other);
    ``training_data`` becomes the run's dataset input.
    """
    client = configure(settings)
    experiment_id = ensure_experiment(experiment, settings)
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"{trained.engine}-train", tags=tags
    ) as run:
        _log_run_contents(trained, params, data_fingerprint, extra_metrics)
        if training_data is not None:
            _log_training_data(training_data, trained.target)
        version = log_model(trained, registered_model_name=model_name, run=run)
    client.set_model_version_tag(model_name, version.version, "engine", trained.engine)
    client.set_model_version_tag(model_name, version.version, "data_fingerprint", data_fingerprint)
    val_log_loss = float(trained.val_metrics["log_loss"])
    promoted = promote_if_better(client, model_name, version.version, val_log_loss)
    return RegisteredVersion(
        model_name=model_name,
        version=str(version.version),
        run_id=run.info.run_id,
        val_log_loss=val_log_loss,
        promoted=promoted,
        experiment_id=str(experiment_id),
    )


def _log_training_data(data: TrainingData, target: str) -> None:
    dataset = mlflow.data.from_pandas(
        data.frame,
        source=data.source,
        targets=target if target in data.frame.columns else None,
        name=data.name,
        digest=data.digest[:36],
    )
    mlflow.log_input(dataset, context="training")


def champion_version(client: MlflowClient, model_name: str) -> ModelVersion | None:
    """The version the ``champion`` alias points at, or None when there is none yet."""
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION_ALIAS)
    except MlflowException as error:
        if error.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            return None
        raise


def _version_log_loss(client: MlflowClient, version: ModelVersion) -> float:
    """The champion's validation log loss from its run; NaN when it cannot be read."""
    if not version.run_id:
        return math.nan
    value = client.get_run(version.run_id).data.metrics.get(CHAMPION_METRIC)
    return math.nan if value is None else float(value)


def _decide(candidate: float, champion: ModelVersion | None, champion_loss: float) -> str:
    if not math.isfinite(candidate):
        return "rejected_invalid_metric"
    if champion is None:
        return "promoted_first_champion"
    if not math.isfinite(champion_loss):
        return "promoted_champion_metric_missing"
    return "promoted_better" if candidate < champion_loss else "kept_champion"


def promote_if_better(
    client: MlflowClient, model_name: str, version: str | int, val_log_loss: float
) -> bool:
    """Move ``champion`` to ``version`` if it strictly beats the current champion.

    A champion whose log loss cannot be read loses to any candidate with a finite one; a
    candidate without a finite log loss never wins. Returns whether the alias moved (or
    already pointed at ``version``).
    """
    version = str(version)
    champion = champion_version(client, model_name)
    if champion is not None and str(champion.version) == version:
        return True
    champion_loss = math.nan if champion is None else _version_log_loss(client, champion)
    decision = _decide(float(val_log_loss), champion, champion_loss)
    promoted = decision.startswith("promoted")
    if promoted:
        client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    tags = {
        "champion_decision": decision,
        "candidate_val_log_loss": repr(float(val_log_loss)),
        "compared_champion_version": "" if champion is None else str(champion.version),
        "compared_champion_val_log_loss": "" if champion is None else repr(champion_loss),
    }
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    return promoted


def load_champion(model_name: str, settings: MlflowSettings) -> mlflow.pyfunc.PyFuncModel:
    """The champion as a pyfunc model; ``predict`` returns a frame with column ``prob``."""
    configure(settings)
    return mlflow.pyfunc.load_model(champion_uri(model_name))
