"""Download the public archives from their upstream sites when no mirror is configured.

Files land in the mirror's layout (see ``catalog``) so one reader serves both. Upstream:

* Pinnacle: the CRAN package ``pinnacle.data`` 0.1.5 (``data/MLB2016.rda`` inside the
  source tarball; ``src/contrib/Archive/pinnacle.data/`` once superseded, else
  ``src/contrib/``). The .rda is checked against its known md5.
* Retrosheet game logs: ``https://www.retrosheet.org/gamelogs/glYYYY.zip``.
* Season workbooks: sportsbookreviewsonline.com, "MLB scores and odds archives" page
  (``/scoresoddsarchives/mlb/mlboddsarchives.htm``), which links each season's
  workbook. At the time of writing the links point into the site's ``wp-content/uploads``
  tree (``DEFAULT_BASE_URLS["sbr"]``); if the site moves them, take the new folder
  from that page and pass it as ``base_urls={"sbr": ...}``.

Every file is written to a temporary name and renamed into place, so a crash never
leaves a partial archive. ``checksums.json`` in the destination records each file's
md5; a later run re-downloads a file whose content no longer matches.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

import httpx

from mlb_assets.lib.archives.catalog import (
    ArchiveCatalog,
    file_md5,
    gamelog_relpath,
    pinnacle_relpath,
    workbook_relpath,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URLS: dict[str, str] = {
    "cran": "https://cran.r-project.org",
    "retrosheet": "https://www.retrosheet.org/gamelogs",
    "sbr": (
        "https://www.sportsbookreviewsonline.com/wp-content/uploads/sportsbookreviewsonline_com_737"
    ),
}
SOURCES = ("pinnacle", "sbr", "retrosheet")
CHECKSUMS_FILE = "checksums.json"
USER_AGENT = "mlb-assets-archive-fetch/1"
TIMEOUT = httpx.Timeout(60.0, connect=15.0)

# The only Pinnacle seasons published: season -> (tarball, member, md5 of the member).
PINNACLE_PACKAGES: dict[int, tuple[str, str, str]] = {
    2016: (
        "pinnacle.data_0.1.5.tar.gz",
        "pinnacle.data/data/MLB2016.rda",
        "de5052a9431ff0a767b2c16cd01717ff",
    ),
}


class ArchiveDownloadError(RuntimeError):
    """A download failed or produced unexpected content; the message names the URL."""


class ArchiveNotPublished(ArchiveDownloadError):
    """Every URL tried for a file answered 404: upstream has not published it."""


def ensure_archives(
    dest: Path,
    seasons: Iterable[int],
    *,
    base_urls: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    sources: Iterable[str] = SOURCES,
) -> ArchiveCatalog:
    """Make sure ``dest`` holds the archives of ``seasons``; download what is missing.

    Pinnacle is fetched only for the seasons it was published for (2016). Files already
    present and matching ``checksums.json`` are not downloaded again. A season after the
    mirror's downloads like any other; its files have no published checksum, so the one
    received is recorded. A source that upstream has not published for a season is
    skipped with a warning as long as another source of that season exists.
    """
    dest = Path(dest)
    urls = {**DEFAULT_BASE_URLS, **(base_urls or {})}
    wanted = [s for s in sources if s in SOURCES]
    owns_client = client is None
    http = client or httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": USER_AGENT}
    )
    try:
        checksums = _load_checksums(dest)
        for season in sorted(set(seasons)):
            _ensure_season(dest, season, [_task(s, season, urls, http) for s in wanted], checksums)
    finally:
        if owns_client:
            http.close()
    return ArchiveCatalog(dest)


Fetcher = Callable[[], bytes]


def _ensure_season(
    dest: Path,
    season: int,
    tasks: list[tuple[str, Fetcher, str | None] | None],
    checksums: dict[str, str],
) -> None:
    """Every published file of one season; a source not published (yet) is skipped.

    Upstream publishes on its own calendar (Retrosheet after the season, the workbooks
    during it), so a season loads from the files that exist. A season none of whose
    files exist is an error that names the URLs tried.
    """
    missing: list[ArchiveNotPublished] = []
    present = 0
    for task in tasks:
        if task is None:
            continue
        try:
            _ensure_file(dest, *task, checksums)
            present += 1
        except ArchiveNotPublished as error:
            missing.append(error)
    if missing and not present:
        raise missing[0]
    for error in missing:
        log.warning("season %d loads without this file: %s", season, error)


def _task(
    source: str, season: int, urls: Mapping[str, str], http: httpx.Client
) -> tuple[str, Fetcher, str | None] | None:
    """(relative path, how to get its bytes, known md5) for a source and season, if published.

    Older workbooks were published as ``mlb odds YYYY.xlsx``; that spelling is tried
    when the current one is not found.
    """
    if source == "retrosheet":
        url = f"{_base(urls['retrosheet'])}/gl{season}.zip"
        return gamelog_relpath(season), partial(_get, http, [url]), None
    if source == "sbr":
        base = _base(urls["sbr"])
        candidates = [f"{base}/mlb-odds-{season}.xlsx", f"{base}/mlb%20odds%20{season}.xlsx"]
        return workbook_relpath(season), partial(_get, http, candidates), None
    if source == "pinnacle" and season in PINNACLE_PACKAGES:
        known = PINNACLE_PACKAGES[season][2]
        return pinnacle_relpath(season), partial(_pinnacle_bytes, http, urls["cran"], season), known
    return None


def _base(url: str) -> str:
    return url.rstrip("/")


def _ensure_file(
    dest: Path, relpath: str, fetch: Fetcher, known_md5: str | None, checksums: dict[str, str]
) -> None:
    """Download ``relpath`` unless present with the expected checksum.

    The expected checksum is the published one where there is one (Pinnacle), else the
    one recorded at download time. A file present without a record was placed there
    by hand: it is trusted and recorded.
    """
    target = dest / relpath
    if target.is_file():
        actual = file_md5(target)
        expected = known_md5 or checksums.get(relpath)
        if expected is None or expected == actual:
            if checksums.get(relpath) != actual:
                _record(dest, checksums, relpath, actual)
            return
        log.warning("%s does not match its expected checksum; downloading it again", relpath)
    data = fetch()
    _write_atomic(target, data)
    _record(dest, checksums, relpath, hashlib.md5(data, usedforsecurity=False).hexdigest())
    log.info("downloaded %s (%d bytes)", relpath, len(data))


def _get(http: httpx.Client, urls: list[str]) -> bytes:
    """The body of the first URL that answers 200; 404s fall through to the next one."""
    for url in urls:
        try:
            response = http.get(url)
        except httpx.HTTPError as error:
            # The exception text may repeat the URL verbatim; report its type only.
            raise ArchiveDownloadError(
                f"download of {redact_url(url)} failed: {type(error).__name__}"
            ) from error
        if response.status_code == 404:
            continue
        if response.status_code != 200:
            raise ArchiveDownloadError(
                f"download of {redact_url(url)} failed: HTTP {response.status_code}"
            )
        return response.content
    raise ArchiveNotPublished(f"not found (HTTP 404): {', '.join(map(redact_url, urls))}")


def redact_url(url: str) -> str:
    """The URL without credentials or query string, safe for logs and exceptions.

    The default URLs carry neither, but a configured mirror might (``user:pass@host``
    or a token parameter).
    """
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def _pinnacle_bytes(http: httpx.Client, cran: str, season: int) -> bytes:
    """The season's .rda out of the CRAN source tarball, checked against its md5."""
    tarball, member, md5 = PINNACLE_PACKAGES[season]
    base = _base(cran)
    urls = [
        f"{base}/src/contrib/Archive/pinnacle.data/{tarball}",
        f"{base}/src/contrib/{tarball}",
    ]
    payload = _get(http, urls)
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as archive:
            handle = archive.extractfile(member)
            if handle is None:
                raise KeyError(member)
            data = handle.read()
    except (tarfile.TarError, KeyError, OSError) as error:
        raise ArchiveDownloadError(
            f"{tarball} from {' or '.join(map(redact_url, urls))} holds no readable {member}: "
            f"{type(error).__name__}"
        ) from error
    actual = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if actual != md5:
        raise ArchiveDownloadError(
            f"{member} in {tarball} (from {' or '.join(map(redact_url, urls))}) "
            f"has md5 {actual}, expected {md5}"
        )
    return data


def _write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _load_checksums(dest: Path) -> dict[str, str]:
    path = dest / CHECKSUMS_FILE
    if not path.is_file():
        return {}
    try:
        loaded = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ArchiveDownloadError(f"{path} is not valid JSON: {error}") from error
    return {str(k): str(v) for k, v in loaded.items()}


def _record(dest: Path, checksums: dict[str, str], relpath: str, md5: str) -> None:
    checksums[relpath] = md5
    text = json.dumps(dict(sorted(checksums.items())), indent=2) + "\n"
    _write_atomic(dest / CHECKSUMS_FILE, text.encode())
