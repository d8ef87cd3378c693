"""Getting the boundary files: download with checksums and a cache, loading, and keeping them out of git.

The files are served from ../shared/geo by a local HTTP server, so the real download path runs
with no network. Copies are only ever written under pytest's tmp_path.
"""
from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
from collections import Counter
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from factories import LoopbackServer

from pplib.reference import boundaries
from pplib.reference.boundaries import MANIFEST, BoundariesMissing, BoundaryChecksumError

SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
PROJECT = Path(__file__).resolve().parents[1]
BOUNDARY_SUFFIXES = (".geojson", ".topojson", ".topo.json", ".shp", ".shx", ".dbf", ".gpkg", ".kml", ".fgb")


@pytest.fixture
def geo() -> Path:
    if not SHARED_GEO.is_dir():
        pytest.skip("../shared/geo is not beside the project")
    return SHARED_GEO


@pytest.fixture
def no_boundaries(tmp_path, monkeypatch):
    """No PPLIB_GEO_DIR and an empty per-user cache (XDG_CACHE_HOME points into tmp_path)."""
    monkeypatch.delenv("PPLIB_GEO_DIR", raising=False)
    monkeypatch.delenv(boundaries.URL_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path


class _Server(LoopbackServer):
    def __init__(self, folder: Path):
        self.requests: Counter[str] = Counter()
        requests = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                requests[self.path.lstrip("/")] += 1
                super().do_GET()

            def log_message(self, *args):  # keep test output quiet
                pass

        super().__init__(functools.partial(Handler, directory=str(folder)))


@pytest.fixture
def served_geo(geo):
    with _Server(geo) as server:
        yield server


@pytest.fixture
def altered_geo(geo, tmp_path):
    """A copy of the manifest files with one byte of the district layer changed."""
    folder = tmp_path / "altered"
    folder.mkdir()
    for layer in MANIFEST:
        shutil.copyfile(geo / layer.file, folder / layer.file)
    target = folder / boundaries.layer_info("lad").file
    data = bytearray(target.read_bytes())
    data[1000] = ord("7") if data[1000] != ord("7") else ord("8")
    target.write_bytes(bytes(data))
    return folder


def test_manifest_checksums_match_the_shared_files(geo):
    for layer in MANIFEST:
        assert boundaries.file_sha256(geo / layer.file) == layer.sha256, layer.file


def test_manifest_attributions_are_the_shared_readme_statements(geo):
    readme = " ".join((geo / "README.md").read_text(encoding="utf-8").split())
    for layer in MANIFEST:
        assert layer.attribution in readme, layer.key
        assert layer.source


def test_download_fetches_every_file_and_verifies_it(served_geo, tmp_path):
    target = tmp_path / "boundaries"
    paths = boundaries.download_boundaries(served_geo.url, target)
    assert sorted(p.name for p in paths) == sorted(layer.file for layer in MANIFEST)
    for layer in MANIFEST:
        assert boundaries.file_sha256(target / layer.file) == layer.sha256
    assert sorted(p.name for p in target.iterdir()) == sorted(layer.file for layer in MANIFEST)


def test_second_download_is_served_from_the_cache(served_geo, tmp_path):
    target = tmp_path / "boundaries"
    boundaries.download_boundaries(served_geo.url + "/", target)
    boundaries.download_boundaries(served_geo.url, target)
    assert served_geo.requests == Counter({layer.file: 1 for layer in MANIFEST})


def test_a_damaged_cached_file_is_fetched_again(served_geo, tmp_path):
    target = tmp_path / "boundaries"
    boundaries.download_boundaries(served_geo.url, target)
    lad = target / boundaries.layer_info("lad").file
    lad.write_text("not a boundary file")
    boundaries.download_boundaries(served_geo.url, target)
    assert boundaries.file_sha256(lad) == boundaries.layer_info("lad").sha256
    assert served_geo.requests[lad.name] == 2


def test_altered_file_fails_with_a_clear_checksum_error_and_leaves_nothing(altered_geo, tmp_path):
    layer = boundaries.layer_info("lad")
    actual = boundaries.file_sha256(altered_geo / layer.file)
    target = tmp_path / "boundaries"
    with _Server(altered_geo) as server, pytest.raises(BoundaryChecksumError) as raised:
        boundaries.download_boundaries(server.url, target)
    message = str(raised.value)
    assert layer.file in message and layer.sha256 in message and actual in message
    assert not (target / layer.file).exists()
    assert not [p for p in target.iterdir() if p.name not in {l.file for l in MANIFEST}], "temporary file left"


def test_copy_from_a_shared_folder_verifies_too(geo, altered_geo, tmp_path):
    good = tmp_path / "from-folder"
    boundaries.download_boundaries(str(geo), good)
    assert all(boundaries.file_sha256(good / l.file) == l.sha256 for l in MANIFEST)
    bad = tmp_path / "from-altered-folder"
    with pytest.raises(BoundaryChecksumError, match="expected sha256"):
        boundaries.download_boundaries(str(altered_geo), bad)
    assert sorted(p.name for p in bad.iterdir()) == ["pfa_ew_dec2020_buc.geojson"]  # only the good one before it


def test_download_without_a_source_asks_the_ons_services(no_boundaries, monkeypatch):
    # tests/test_boundary_download.py covers that source; here it is unreachable, and the message says so.
    monkeypatch.setenv(boundaries.SERVICES_ENV, "http://127.0.0.1:9/arcgis/rest/services")
    monkeypatch.setattr(boundaries, "RETRY_DELAY", 0.0)
    with pytest.raises(boundaries.BoundaryServiceError, match="ONS Open Geography Portal.*--from URL-OR-FOLDER"):
        boundaries.download_boundaries(None, no_boundaries / "b")


def test_download_refuses_to_write_into_the_repository(geo):
    with pytest.raises(ValueError, match="inside the project repository"):
        boundaries.download_boundaries(str(geo), PROJECT / "data" / "boundaries")
    assert not (PROJECT / "data" / "boundaries").exists()


def test_load_layer_without_boundaries_names_the_command(no_boundaries):
    assert not boundaries.available()
    assert boundaries.boundaries_dir().is_relative_to(no_boundaries / "user-cache")
    with pytest.raises(BoundariesMissing, match="pplib boundaries download"):
        boundaries.load_layer("lad")


def test_download_to_the_default_cache_makes_layers_available(no_boundaries, served_geo, monkeypatch):
    monkeypatch.setenv(boundaries.URL_ENV, served_geo.url)
    boundaries.download_boundaries()
    assert boundaries.available()
    assert len(boundaries.load_layer("postcode_area")) == 120


def test_load_layer_reads_the_geo_dir_once_per_process(geo, monkeypatch):
    monkeypatch.setenv("PPLIB_GEO_DIR", str(geo))
    first = boundaries.load_layer("lad")
    hits = boundaries._read_layer.cache_info().hits
    second = boundaries.load_layer("lad_uk_may2024_buc.geojson")
    assert boundaries._read_layer.cache_info().hits == hits + 1
    assert len(first) == len(second) == 361 and first is not second
    assert {"LAD24CD", "LAD24NM"} <= set(first.columns)


def test_cli_download_and_status(served_geo, no_boundaries, capsys):
    parser = argparse.ArgumentParser(prog="pplib")
    boundaries.add_boundaries_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["boundaries", "status"])
    assert args.func(args) == 1
    assert "pplib boundaries download" in capsys.readouterr().out
    args = parser.parse_args(["boundaries", "download", "--from", served_geo.url])
    assert args.func(args) == 0
    assert "sha256 verified" in capsys.readouterr().out
    args = parser.parse_args(["boundaries", "status"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.count("verified") == len(MANIFEST)


def test_no_boundary_file_is_tracked_in_the_repository():
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    files = tracked.splitlines()
    assert files, "git ls-files listed nothing"
    assert not [f for f in files if f.lower().endswith(BOUNDARY_SUFFIXES)]
    for name in (f for f in files if f.lower().endswith(".json")):
        text = (PROJECT / name).read_text(encoding="utf-8", errors="replace")
        assert '"FeatureCollection"' not in text and '"Topology"' not in text, name
