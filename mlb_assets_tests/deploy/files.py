"""The production deployment files, parsed once for the structural tests."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DAGSTER_YAML = ROOT / "dagster.yaml"
WORKSPACE_YAML = ROOT / "workspace.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKER_DIR = ROOT / "deploy" / "docker"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}; $$ escapes a literal $.
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?-][^}]*)?\}")


def load_yaml(path: Path) -> dict:
    with path.open() as handle:
        return yaml.safe_load(handle)


@cache
def compose() -> dict:
    return load_yaml(COMPOSE)


@cache
def dagster_yaml() -> dict:
    return load_yaml(DAGSTER_YAML)


@cache
def workspace_yaml() -> dict:
    return load_yaml(WORKSPACE_YAML)


def interpolated_variables(text: str) -> set[str]:
    return set(_INTERPOLATION.findall(text))


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f".env.example: not NAME=value: {line!r}"
        values[name.strip()] = value.strip()
    return values


def service_environment(name: str) -> dict[str, str]:
    """A service's environment as a mapping (compose allows a list of NAME=value too)."""
    raw = compose()["services"][name].get("environment") or {}
    if isinstance(raw, list):
        return dict(item.partition("=")[::2] for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def mounts(name: str) -> list[tuple[str, str]]:
    """A service's volume mounts as (source, container path)."""
    result = []
    for item in compose()["services"][name].get("volumes") or []:
        if isinstance(item, dict):
            result.append((item["source"], item["target"]))
            continue
        source, target = item.split(":")[:2]
        result.append((source, target))
    return result


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]]


def dockerfile_stages(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages of a Dockerfile (line continuations joined)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name, []))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
        elif keyword == "ARG":
            arg, _, default = rest.partition("=")
            global_args[arg.strip()] = default.strip().strip('"')
    return global_args, stages


def dockerfile_cmd(path: Path) -> list[str]:
    """The final stage's CMD (exec form)."""
    _, stages = dockerfile_stages(path)
    (cmd,) = [rest for keyword, rest in stages[-1].instructions if keyword == "CMD"]
    return json.loads(cmd)


def dockerfile_env(path: Path, name: str) -> str:
    """The value the final stage's ENV instructions give ``name``."""
    _, stages = dockerfile_stages(path)
    found = None
    for keyword, rest in stages[-1].instructions:
        if keyword == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                if key == name:
                    found = value
    assert found is not None, f"{path.name} sets no ENV {name}"
    return found


def stage_args(stage: Stage) -> dict[str, str]:
    args = {}
    for keyword, rest in stage.instructions:
        if keyword == "ARG":
            arg, _, default = rest.partition("=")
            args[arg.strip()] = default.strip().strip('"')
    return args


def resolve(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), value)


def constraints() -> dict[str, str]:
    pins = {}
    for line in (DOCKER_DIR / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
