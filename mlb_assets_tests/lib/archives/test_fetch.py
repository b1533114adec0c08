"""Downloads against a real HTTP server on 127.0.0.1 laid out like the upstream sites."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlb_assets.lib.archives import fetch
from mlb_assets.lib.archives.catalog import file_md5
from mlb_assets.lib.archives.fetch import ArchiveDownloadError, ensure_archives

TARBALL = "pinnacle.data_0.1.5.tar.gz"
MEMBER = "pinnacle.data/data/MLB2016.rda"
SBR_DIR = "wp-content/uploads/sportsbookreviewsonline_com_737"


class _Upstream:
    """A static file server that remembers which paths were asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        upstream = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.requests.append(self.path)
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=root))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def put(self, relpath: str, content: bytes) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            "cran": self.url,
            "retrosheet": f"{self.url}/gamelogs",
            "sbr": f"{self.url}/{SBR_DIR}",
        }


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[_Upstream]:
    server = _Upstream(tmp_path / "upstream")
    server.root.mkdir()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _tarball(rda: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(MEMBER)
        info.size = len(rda)
        archive.addfile(info, io.BytesIO(rda))
    return buffer.getvalue()


@pytest.fixture
def fake_rda(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Synthetic .rda bytes, registered as the published file so md5 checks pass."""
    content = b"RDX2\nnot really R data, only bytes to move around\n"
    md5 = hashlib.md5(content).hexdigest()
    monkeypatch.setitem(fetch.PINNACLE_PACKAGES, 2016, (TARBALL, MEMBER, md5))
    return content


def _serve_all(upstream: _Upstream, rda: bytes) -> None:
    upstream.put(f"src/contrib/Archive/pinnacle.data/{TARBALL}", _tarball(rda))
    upstream.put("gamelogs/gl2016.zip", b"game log 2016")
    upstream.put(f"{SBR_DIR}/mlb-odds-2016.xlsx", b"workbook 2016")


def test_downloads_into_the_mirror_layout(upstream, fake_rda, tmp_path: Path) -> None:
    _serve_all(upstream, fake_rda)
    dest = tmp_path / "archives"
    catalog = ensure_archives(dest, [2016], base_urls=upstream.base_urls)

    assert catalog.pinnacle_path(2016).read_bytes() == fake_rda
    assert catalog.gamelog_path(2016).read_bytes() == b"game log 2016"
    assert catalog.workbook_path(2016).read_bytes() == b"workbook 2016"
    assert catalog.seasons() == {2016: {"pinnacle", "sbr", "retrosheet"}}
    checksums = json.loads((dest / "checksums.json").read_text())
    assert checksums == {
        "cran-pinnacle.data/MLB2016.rda": hashlib.md5(fake_rda).hexdigest(),
        "retrosheet/gl2016.zip": hashlib.md5(b"game log 2016").hexdigest(),
        "sbr/mlb-odds-2016.xlsx": hashlib.md5(b"workbook 2016").hexdigest(),
    }
    assert not [p for p in dest.rglob("*") if p.name.endswith(".part")]


def test_second_run_downloads_nothing(upstream, fake_rda, tmp_path: Path) -> None:
    _serve_all(upstream, fake_rda)
    dest = tmp_path / "archives"
    ensure_archives(dest, [2016], base_urls=upstream.base_urls)
    upstream.requests.clear()
    ensure_archives(dest, [2016], base_urls=upstream.base_urls)
    assert upstream.requests == []


def test_corrupted_file_is_downloaded_again(upstream, fake_rda, tmp_path: Path) -> None:
    _serve_all(upstream, fake_rda)
    dest = tmp_path / "archives"
    ensure_archives(dest, [2016], base_urls=upstream.base_urls)
    (dest / "retrosheet/gl2016.zip").write_bytes(b"truncated")
    upstream.requests.clear()
    ensure_archives(dest, [2016], base_urls=upstream.base_urls)
    assert upstream.requests == ["/gamelogs/gl2016.zip"]
    assert (dest / "retrosheet/gl2016.zip").read_bytes() == b"game log 2016"


def test_file_placed_by_hand_is_kept_and_recorded(upstream, tmp_path: Path) -> None:
    dest = tmp_path / "archives"
    (dest / "retrosheet").mkdir(parents=True)
    (dest / "retrosheet/gl2015.zip").write_bytes(b"local copy")
    ensure_archives(dest, [2015], base_urls=upstream.base_urls, sources=["retrosheet"])
    assert upstream.requests == []
    recorded = json.loads((dest / "checksums.json").read_text())
    assert recorded == {"retrosheet/gl2015.zip": hashlib.md5(b"local copy").hexdigest()}


def test_fallbacks_older_workbook_name_and_current_cran_folder(
    upstream, fake_rda, tmp_path: Path
) -> None:
    upstream.put(f"src/contrib/{TARBALL}", _tarball(fake_rda))
    upstream.put(f"{SBR_DIR}/mlb odds 2016.xlsx", b"old name")
    upstream.put("gamelogs/gl2016.zip", b"game log 2016")
    catalog = ensure_archives(tmp_path / "a", [2016], base_urls=upstream.base_urls)
    assert catalog.workbook_path(2016).read_bytes() == b"old name"
    assert catalog.pinnacle_path(2016).read_bytes() == fake_rda
    assert f"/src/contrib/Archive/pinnacle.data/{TARBALL}" in upstream.requests


def test_pinnacle_is_only_fetched_for_published_seasons(upstream, tmp_path: Path) -> None:
    upstream.put("gamelogs/gl2015.zip", b"game log 2015")
    upstream.put(f"{SBR_DIR}/mlb-odds-2015.xlsx", b"workbook 2015")
    catalog = ensure_archives(tmp_path / "a", [2015], base_urls=upstream.base_urls)
    assert catalog.seasons() == {2015: {"sbr", "retrosheet"}}
    assert not any("contrib" in path for path in upstream.requests)


def test_missing_file_names_the_url(upstream, tmp_path: Path) -> None:
    with pytest.raises(ArchiveDownloadError, match=r"gamelogs/gl2014\.zip"):
        ensure_archives(
            tmp_path / "a", [2014], base_urls=upstream.base_urls, sources=["retrosheet"]
        )
    assert not (tmp_path / "a/retrosheet/gl2014.zip").exists()


def test_wrong_pinnacle_checksum_is_refused(upstream, fake_rda, tmp_path: Path) -> None:
    upstream.put(f"src/contrib/Archive/pinnacle.data/{TARBALL}", _tarball(b"tampered"))
    with pytest.raises(ArchiveDownloadError, match=r"has md5 .*expected"):
        ensure_archives(tmp_path / "a", [2016], base_urls=upstream.base_urls, sources=["pinnacle"])
    assert not (tmp_path / "a/cran-pinnacle.data/MLB2016.rda").exists()


def test_tarball_without_the_member_is_refused(upstream, fake_rda, tmp_path: Path) -> None:
    upstream.put(f"src/contrib/Archive/pinnacle.data/{TARBALL}", b"not a tarball")
    with pytest.raises(ArchiveDownloadError, match="holds no readable"):
        ensure_archives(tmp_path / "a", [2016], base_urls=upstream.base_urls, sources=["pinnacle"])


def test_errors_never_show_credentials(upstream, tmp_path: Path) -> None:
    secret = upstream.url.replace("http://", "http://user:s3cret@") + "/gamelogs?token=abc"
    with pytest.raises(ArchiveDownloadError) as caught:
        ensure_archives(
            tmp_path / "a", [2014], base_urls={"retrosheet": secret}, sources=["retrosheet"]
        )
    assert "s3cret" not in str(caught.value) and "abc" not in str(caught.value)


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveDownloadError, match=r"127\.0\.0\.1:9/gamelogs/gl2016\.zip"):
        ensure_archives(
            tmp_path / "a",
            [2016],
            base_urls={"retrosheet": "http://127.0.0.1:9/gamelogs"},
            sources=["retrosheet"],
        )


@pytest.mark.archive
def test_real_rda_out_of_a_cran_tarball(upstream, archive_dir: Path, tmp_path: Path) -> None:
    rda = archive_dir / "cran-pinnacle.data" / "MLB2016.rda"
    upstream.put(f"src/contrib/Archive/pinnacle.data/{TARBALL}", _tarball(rda.read_bytes()))
    catalog = ensure_archives(
        tmp_path / "a", [2016], base_urls=upstream.base_urls, sources=["pinnacle"]
    )
    assert file_md5(catalog.pinnacle_path(2016)) == "de5052a9431ff0a767b2c16cd01717ff"
    shutil.rmtree(tmp_path / "a")


def test_a_season_after_the_mirror_downloads_and_parses(upstream, tmp_path: Path) -> None:
    """No checksum is known for a new season's workbook: the one received is recorded, and
    the file (a made-up sheet in a later layout) parses like the mirrored seasons."""
    from mlb_assets.lib.archives.season import load_season
    from mlb_assets_tests.lib.archives.workbook_fixtures import (
        HEADER_LATER,
        neutral_site_rows,
        write_workbook,
    )

    sheet = write_workbook(tmp_path / "sheet.xlsx", HEADER_LATER, neutral_site_rows())
    body = sheet.read_bytes()
    upstream.put(f"{SBR_DIR}/mlb-odds-2021.xlsx", body)
    dest = tmp_path / "archives"
    # Retrosheet has not published 2021 here: the season loads from its workbook alone.
    catalog = ensure_archives(dest, [2021], base_urls=upstream.base_urls)
    assert any(path.endswith("/gl2021.zip") for path in upstream.requests)

    assert catalog.seasons() == {2021: {"sbr"}}
    checksums = json.loads((dest / "checksums.json").read_text())
    assert checksums == {"sbr/mlb-odds-2021.xlsx": hashlib.md5(body).hexdigest()}
    season = load_season(dest, 2021)
    assert len(season.games) == 4 and season.games["neutral_site"].sum() == 2
    assert [rows.unaccounted for rows in season.source_rows] == [0]
