"""``mlb-assets config`` and ``mlb-assets doctor``: what is configured, and whether it works.

``config`` prints every declared variable with its effective value (secrets masked) and
whether it came from the environment or the default, and exits 2 on an invalid configuration.
``doctor`` checks what the configuration points at (warehouse, MLflow, Java, archives, The
Odds API, alerts, metrics) and says what to do about each failure; it exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlb_assets.config import GROUPS, Config, ConfigError, describe, load_config, variables


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlb-assets config",
        description="Print the effective configuration (secrets masked); exit 2 if invalid.",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per variable")
    form.add_argument(
        "--markdown", action="store_true", help="the README's variable tables (no values)"
    )
    return parser


def cmd_config(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.markdown:
        print(markdown_tables())
        return 0
    try:
        config = load_config()
    except ConfigError as error:
        for problem in error.problems:
            print(f"invalid: {problem}", file=sys.stderr)
        return 2
    rows = list(describe(config))
    if args.json:
        for item, value, origin in rows:
            print(json.dumps({"variable": item.env, "value": value, "origin": origin}))
        return 0
    width = max(len(item.env) for item, _, _ in rows)
    for group, title in GROUPS.items():
        print(f"# {title}")
        for item, value, origin in rows:
            if item.group == group:
                unit = f" [{item.unit}]" if item.unit else ""
                print(f"  {item.env:<{width}}  {value}{unit}  ({origin})")
    return 0


def markdown_tables() -> str:
    """One Markdown table per group: variable, default, unit, meaning (secrets marked)."""
    blocks = []
    for group, title in GROUPS.items():
        lines = [f"**{title}**", "", "| variable | default | unit | meaning |", "|---|---|---|---|"]
        for item in variables():
            if item.group != group:
                continue
            meaning = item.description + (" (secret)" if item.secret else "")
            lines.append(
                f"| `{item.env}` | {_cell(item.shown_default)} | {item.unit} | {_cell(meaning)} |"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# --- doctor --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    what: str
    status: str  # ok, warn, fail
    detail: str
    fix: str = ""


Check = Callable[[Config], Finding]


def check_warehouse(config: Config) -> Finding:
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url

    url = config.warehouse_url
    shown = safe_url(url)
    try:
        engine = create_warehouse_engine(url)
        current = migrate.current_revision(engine)
        engine.dispose()
    except Exception as error:
        detail = str(error).splitlines()[0][:200]
        return Finding(
            "warehouse",
            "fail",
            f"{shown}: cannot connect ({type(error).__name__}: {_scrub(detail, url)})",
            "check MLB_ASSETS_DATABASE_URL, that the server runs and the database exists "
            "(createdb), and the password",
        )
    head = migrate.head_revision()
    if current == head:
        return Finding("warehouse", "ok", f"{shown}: reachable, schema at {head}")
    return Finding(
        "warehouse",
        "warn",
        f"{shown}: reachable, schema at {current or 'empty'} (code expects {head})",
        "run `mlb-assets migrate` (resources also migrate on first use)",
    )


def check_mlflow(config: Config) -> Finding:
    from mlb_assets.lib.models.tracking import redact

    uri = config.mlflow_tracking_uri
    if not uri:
        folder = config.home_path / "mlflow"
        if _writable(folder):
            return Finding("mlflow", "ok", f"embedded store in {folder}")
        return Finding(
            "mlflow", "fail", f"{folder} is not writable", "fix MLB_ASSETS_HOME's permissions"
        )
    if uri.startswith(("http://", "https://")):
        return _http_check("mlflow", uri.rstrip("/") + "/health", "is MLFLOW_TRACKING_URI right?")
    return Finding("mlflow", "ok", f"store {redact(uri)} (not contacted: not an HTTP server)")


def check_java(config: Config) -> Finding:
    if config.h2o_url:
        return _http_check("h2o", config.h2o_url.rstrip("/") + "/3/Cloud", "is H2O_URL right?")
    java = shutil.which("java")
    if java is None:
        return Finding(
            "java",
            "fail",
            "no `java` on PATH: H2O training and MOJO scoring need Java 17",
            "install a JRE 17 (Debian: apt-get install openjdk-17-jre-headless)",
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    version = (result.stderr or result.stdout).splitlines()[:1]
    return Finding("java", "ok", f"{java}: {version[0] if version else 'unknown version'}")


def check_archives(config: Config) -> Finding:
    from mlb_assets.lib.archives.catalog import ArchiveCatalog

    if config.archive_dir is None:
        cache = config.home_path / "archives"
        state = "present" if cache.is_dir() else "downloaded on first use"
        return Finding(
            "archives",
            "ok" if _writable(config.home_path) else "fail",
            f"no mirror: archives {state} in {cache} (needs the internet once)",
            "or set MLB_ASSETS_ARCHIVE_DIR to a local mirror",
        )
    root = config.archive_dir.expanduser()
    if not root.is_dir():
        return Finding(
            "archives",
            "fail",
            f"MLB_ASSETS_ARCHIVE_DIR={root} is not a directory",
            "point it at a folder holding cran-pinnacle.data/, sbr/ and retrosheet/",
        )
    seasons = sorted(ArchiveCatalog(root).seasons())
    if not seasons:
        return Finding(
            "archives", "fail", f"{root} holds no season files", "see the README's Data sources"
        )
    return Finding("archives", "ok", f"mirror {root}: seasons {seasons[0]}–{seasons[-1]}")


def check_odds_api(config: Config) -> Finding:
    if config.odds_source != "odds_api":
        return Finding("odds api", "ok", "not used (MLB_ASSETS_ODDS_SOURCE=archive)")
    key = config.odds_api_key
    if not key:
        return Finding(
            "odds api", "fail", "ODDS_API_KEY is not set", "export ODDS_API_KEY=<your key>"
        )
    import httpx

    url = f"{config.odds_api_base_url}/v4/sports"
    try:
        response = httpx.get(url, params={"apiKey": key}, timeout=10)
    except httpx.HTTPError as error:
        return Finding(
            "odds api",
            "fail",
            f"{config.odds_api_base_url}: unreachable ({type(error).__name__})",
            "check ODDS_API_BASE_URL and the network",
        )
    if response.status_code in (401, 403):
        return Finding(
            "odds api",
            "fail",
            f"{config.odds_api_base_url}: the key was refused (HTTP {response.status_code})",
            "check ODDS_API_KEY and that the plan is active",
        )
    if response.status_code != 200:
        return Finding("odds api", "fail", f"{url}: HTTP {response.status_code}", "try again later")
    remaining = response.headers.get("x-requests-remaining", "unknown")
    return Finding(
        "odds api", "ok", f"{config.odds_api_base_url}: key accepted, {remaining} credits left"
    )


def check_mlb_stats(config: Config) -> Finding:
    if config.odds_source != "odds_api":
        return Finding("mlb stats api", "ok", "not used (MLB_ASSETS_ODDS_SOURCE=archive)")
    url = f"{config.mlb_stats_base_url}/api/v1/schedule"
    return _http_check("mlb stats api", url, "check MLB_STATS_BASE_URL", params={"sportId": "1"})


def check_alerts(config: Config) -> Finding:
    if config.alert_sink == "log":
        return Finding("alerts", "ok", "sink log: alerts go to the run and daemon logs")
    return Finding(
        "alerts",
        "ok",
        f"sink {config.alert_sink}: URL set (not contacted, to send nothing by surprise)",
    )


def check_metrics(config: Config) -> Finding:
    if config.pushgateway_url:
        url = config.pushgateway_url
        url = url if "://" in url else f"http://{url}"
        return _http_check("metrics", url.rstrip("/") + "/-/ready", "check the Pushgateway")
    path = config.effective_metrics_textfile
    if _writable(path.parent):
        return Finding("metrics", "ok", f"text file {path}")
    return Finding(
        "metrics", "fail", f"{path.parent} is not writable", "set MLB_ASSETS_METRICS_TEXTFILE"
    )


CHECKS: tuple[Check, ...] = (
    check_warehouse,
    check_mlflow,
    check_java,
    check_archives,
    check_odds_api,
    check_mlb_stats,
    check_alerts,
    check_metrics,
)


def run_doctor(config: Config, checks: Sequence[Check] = CHECKS) -> int:
    print("configuration: valid (`mlb-assets config` lists it)")
    failed = 0
    for check in checks:
        finding = check(config)
        print(f"[{finding.status:>4}] {finding.what}: {finding.detail}")
        if finding.status != "ok" and finding.fix:
            print(f"       fix: {finding.fix}")
        failed += finding.status == "fail"
    print("doctor: " + (f"{failed} check(s) failed" if failed else "everything reachable"))
    return 1 if failed else 0


def _http_check(what: str, url: str, fix: str, params: dict[str, str] | None = None) -> Finding:
    import httpx

    from mlb_assets.lib.models.tracking import redact

    shown = redact(url)
    try:
        response = httpx.get(url, params=params, timeout=10)
    except httpx.HTTPError as error:
        return Finding(what, "fail", f"{shown}: unreachable ({type(error).__name__})", fix)
    if response.status_code >= 400:
        return Finding(what, "fail", f"{shown}: HTTP {response.status_code}", fix)
    return Finding(what, "ok", f"{shown}: reachable")


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".mlb_assets_write_probe"
        probe.write_text("")
        probe.unlink()
    except OSError:
        return False
    return True


def _scrub(text: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:
        return text
    return text.replace(password, "***") if password else text
