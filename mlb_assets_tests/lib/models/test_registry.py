"""MLflow settings, one run per model, registration and the champion alias.

The champion story registers, in order, a weak model (one informative feature), a useless
one (shuffled labels) and a strong one (all features), all under one model name:
the first becomes champion, the useless one must not move the alias, the strong one must.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from mlb_assets.lib.models import metrics
from mlb_assets.lib.models.registry import (
    CHAMPION_ALIAS,
    TrainingData,
    champion_uri,
    champion_version,
    load_champion,
    promote_if_better,
    train_run,
)
from mlb_assets.lib.models.tracking import (
    MlflowSettings,
    configure,
    embedded,
    ensure_experiment,
    run_url,
    store_settings,
)
from mlb_assets_tests.environments import clean_environment, environment_without_the_project
from mlb_assets_tests.lib.models.conftest import (
    FEATURES,
    TARGET,
    VALID_ROWS,
    train_small_autogluon,
)

MODEL = "synthetic_matchup_winner"
EXPERIMENT = "synthetic retrain"
FINGERPRINT = "sha256:synthetic-0001"

# AutoGluon's logistic regression passes n_jobs, which this scikit-learn deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:'n_jobs' has no effect:FutureWarning")

# --- settings ------------------------------------------------------------------------


def test_embedded_settings_live_under_home(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    expected = f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db"
    assert settings.tracking_uri == settings.registry_uri == expected
    assert settings.artifact_root == tmp_path.resolve() / "mlflow" / "artifacts"
    assert settings.artifact_root.is_dir()


def test_configure_sets_tracking_and_registry(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    client = configure(settings)
    assert mlflow.get_tracking_uri() == settings.tracking_uri
    assert mlflow.get_registry_uri() == settings.registry_uri
    assert client.search_registered_models() == []


def test_server_settings_set_both_uris(tmp_path: Path) -> None:
    server = "postgresql://mlflow:s3cret@db:5432/mlflow"
    settings = store_settings(tmp_path, server)
    assert settings.tracking_uri == settings.registry_uri == server
    assert settings.artifact_root is None
    assert "s3cret" not in repr(settings)
    assert store_settings(tmp_path, server, "http://registry:5000").registry_uri == (
        "http://registry:5000"
    )
    assert store_settings(tmp_path, None) == embedded(tmp_path)


def test_ensure_experiment_is_idempotent_and_uses_the_artifact_root(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    first = ensure_experiment("weekly retrain", settings)
    assert ensure_experiment("weekly retrain", settings) == first
    experiment = configure(settings).get_experiment(first)
    assert experiment.artifact_location.startswith(settings.artifact_root.as_uri())


def test_a_local_store_without_artifact_root_still_avoids_the_cwd(tmp_path: Path) -> None:
    settings = MlflowSettings(
        tracking_uri=None, registry_uri=None, artifact_root=None, home=tmp_path
    )
    assert settings.resolved_tracking_uri == embedded(tmp_path).tracking_uri
    experiment = configure(settings).get_experiment(ensure_experiment("no root", settings))
    assert experiment.artifact_location.startswith((tmp_path / "mlflow" / "artifacts").as_uri())
    remote = MlflowSettings("http://mlflow:5000", None, None, tmp_path)
    assert remote.resolved_registry_uri == "http://mlflow:5000"
    assert remote.resolved_artifact_root is None


def test_run_links_point_at_a_tracking_server_without_credentials(tmp_path: Path) -> None:
    server = store_settings(tmp_path, "https://ml:secret@mlflow.example:5000/")
    assert run_url(server, "7", "abc") == "https://mlflow.example:5000/#/experiments/7/runs/abc"
    assert run_url(embedded(tmp_path), "7", "abc") is None  # no UI serves the embedded store
    assert run_url(server, "", "abc") is None


# --- the champion story ---------------------------------------------------------------


def _version_tags(client: MlflowClient, version: str) -> dict[str, str]:
    return dict(client.get_model_version(MODEL, version).tags)


@pytest.fixture(scope="module")
def settings(mlflow_home: Path):
    return embedded(mlflow_home)


@pytest.fixture(scope="module")
def story(settings, synthetic, h2o_trained, tmp_path_factory: pytest.TempPathFactory):
    """Weak, then useless, then strong model registered in order, from an empty CWD."""
    train, valid = synthetic
    shuffled = train.assign(**{TARGET: np.random.default_rng(3).permutation(train[TARGET])})
    cwd = tmp_path_factory.mktemp("registry-cwd")
    client = configure(settings)
    steps: dict[str, dict] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        candidates = {
            "weak": train_small_autogluon(train, valid, ["f3"], tmp_path_factory.mktemp("weak")),
            "useless": train_small_autogluon(
                shuffled, valid, FEATURES, tmp_path_factory.mktemp("useless")
            ),
            "strong": h2o_trained,
        }
        for name, trained in candidates.items():
            registered = train_run(
                trained,
                settings=settings,
                experiment=EXPERIMENT,
                model_name=MODEL,
                params={"budget_seconds": 30, "purpose": "test"},
                data_fingerprint=FINGERPRINT,
                extra_metrics={"train_rows": float(len(train))},
                tags={"dagster_run_id": f"run-{name}"},
                training_data=TrainingData(
                    train, source=str(cwd / "training_set.parquet"), digest=FINGERPRINT
                ),
            )
            steps[name] = {
                "trained": trained,
                "registered": registered,
                "tags": _version_tags(client, registered.version),
                "champion": str(champion_version(client, MODEL).version),
            }
    return {"steps": steps, "cwd": cwd, "client": client, "train": train}


@pytest.mark.slow
def test_models_rank_as_designed(story) -> None:
    losses = {
        name: step["trained"].val_metrics["log_loss"] for name, step in story["steps"].items()
    }
    assert losses["strong"] < losses["weak"] < losses["useless"], losses


@pytest.mark.slow
def test_first_version_becomes_champion(story) -> None:
    step = story["steps"]["weak"]
    assert step["registered"].version == "1"
    assert step["registered"].promoted is True
    assert step["champion"] == "1"
    assert step["tags"]["champion_decision"] == "promoted_first_champion"
    assert step["tags"]["compared_champion_version"] == ""


@pytest.mark.slow
def test_worse_version_leaves_the_champion(story) -> None:
    step, weak = story["steps"]["useless"], story["steps"]["weak"]["registered"]
    assert step["registered"].promoted is False
    assert step["champion"] == "1"
    assert step["tags"]["champion_decision"] == "kept_champion"
    assert step["tags"]["compared_champion_version"] == "1"
    assert float(step["tags"]["compared_champion_val_log_loss"]) == weak.val_log_loss
    assert float(step["tags"]["candidate_val_log_loss"]) == step["registered"].val_log_loss


@pytest.mark.slow
def test_better_version_takes_the_champion(story, settings) -> None:
    step = story["steps"]["strong"]
    assert step["registered"].promoted is True
    assert step["champion"] == step["registered"].version == "3"
    assert step["tags"]["champion_decision"] == "promoted_better"
    assert step["tags"]["engine"] == "h2o"
    aliases = configure(settings).get_registered_model(MODEL).aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {CHAMPION_ALIAS: "3"}


@pytest.mark.slow
def test_a_tie_keeps_the_champion(story, settings) -> None:
    client = configure(settings)
    champion = story["steps"]["strong"]["registered"]
    assert promote_if_better(client, MODEL, "2", champion.val_log_loss) is False
    assert str(champion_version(client, MODEL).version) == champion.version
    assert promote_if_better(client, MODEL, champion.version, 99.0) is True  # already champion


@pytest.mark.slow
def test_run_records_params_metrics_and_features(story, settings) -> None:
    step = story["steps"]["strong"]
    client = configure(settings)
    run = client.get_run(step["registered"].run_id)
    trained = step["trained"]
    assert run.data.params["engine"] == "h2o"
    assert run.data.params["device"] == "cpu"
    assert run.data.params["features_count"] == str(len(FEATURES))
    assert run.data.params["data_fingerprint"] == FINGERPRINT
    assert run.data.params["max_runtime_secs"] == "20"
    assert run.data.params["budget_seconds"] == "30"
    assert run.data.tags["data_fingerprint"] == FINGERPRINT
    assert json.loads(run.data.tags["features"]) == FEATURES
    assert run.data.metrics["val_log_loss"] == trained.val_metrics["log_loss"]
    assert run.data.metrics["val_n"] == VALID_ROWS
    assert run.data.metrics["train_rows"] == 600.0
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"features.json", "leaderboard.csv"} <= artifacts
    features = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/features.json")
    assert features == {"features": FEATURES, "target": TARGET}
    version = client.get_model_version(MODEL, step["registered"].version)
    assert version.run_id == run.info.run_id
    # Linked both ways: the orchestrator's run id on the run, the rows as its dataset.
    assert run.data.tags["dagster_run_id"] == "run-strong"
    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "training_set"
    assert dataset_input.dataset.digest == FINGERPRINT[:36]
    assert json.loads(dataset_input.dataset.profile)["num_rows"] == len(story["train"])
    assert [t.value for t in dataset_input.tags if t.key == "mlflow.data.context"] == ["training"]


@pytest.mark.slow
def test_nothing_lands_in_the_working_directory(story) -> None:
    assert list(story["cwd"].iterdir()) == []


@pytest.mark.slow
def test_pyfunc_matches_the_trained_model(story, settings, synthetic) -> None:
    _, valid = synthetic
    champion = load_champion(MODEL, settings)
    out = champion.predict(valid[FEATURES])
    assert list(out.columns) == ["prob"]
    assert len(out) == len(valid)
    strong = story["steps"]["strong"]["trained"]
    assert metrics.evaluate(valid[TARGET], out["prob"]) == strong.val_metrics
    with pytest.raises(Exception, match="f1"):
        champion.predict(valid[FEATURES].drop(columns="f1"))


FRESH_PROCESS = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import mlflow
    import pandas as pd

    import importlib.util

    # Only MLflow's API, where mlb_assets is not installed: the models bring their code.
    assert importlib.util.find_spec("mlb_assets") is None, "mlb_assets is importable"
    tracking, registry, model, data, out = sys.argv[1:6]
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(registry)
    frame = pd.read_parquet(data)
    champion = mlflow.pyfunc.load_model(f"models:/{model}@champion")
    champion.predict(frame).to_parquet(Path(out) / "champion.parquet")
    first = mlflow.pyfunc.load_model(f"models:/{model}/1")
    first.predict(frame).to_parquet(Path(out) / "version1.parquet")
    import h2o

    assert h2o.connection() is None, "scoring connected to an H2O cluster"
    """
)


@pytest.mark.slow
def test_registry_predictions_match_in_a_fresh_process(
    story, settings, synthetic, tmp_path: Path
) -> None:
    """A new interpreter, in an environment without mlb_assets, reloads both engines'
    versions from the registry; the H2O one is a MOJO scored without any H2O cluster."""
    _, valid = synthetic
    frame = valid[FEATURES]
    frame.to_parquet(tmp_path / "input.parquet")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    command = [
        str(environment_without_the_project(tmp_path / "venv")),
        "-c",
        FRESH_PROCESS,
        settings.tracking_uri,
        settings.registry_uri,
        MODEL,
        str(tmp_path / "input.parquet"),
        str(tmp_path),
    ]
    result = subprocess.run(
        command, cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert list(cwd.iterdir()) == []
    configure(settings)
    expected = {
        "champion.parquet": load_champion(MODEL, settings).predict(frame),
        "version1.parquet": mlflow.pyfunc.load_model(f"models:/{MODEL}/1").predict(frame),
    }
    assert champion_uri(MODEL) == f"models:/{MODEL}@champion"
    for name, in_process in expected.items():
        fresh = pd.read_parquet(tmp_path / name)
        np.testing.assert_allclose(
            fresh["prob"].to_numpy(), in_process["prob"].to_numpy(), rtol=0, atol=1e-9
        )
