"""The default boundary source: the ONS Open Geography Portal's ArcGIS REST services, faked on 127.0.0.1.

The fake answers /<service>/FeatureServer/0/query the way ArcGIS Online does (f=geojson, paged with
resultOffset/resultRecordCount, "properties": {"exceededTransferLimit": true} on every page but the
last, errors as HTTP 200 with {"error": ...}) from the layers in ../shared/geo. Nothing uses the network.
"""
from __future__ import annotations

import argparse
import copy
import json
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import LoopbackServer

from pplib.reference import boundaries
from pplib.reference.boundaries import BoundaryChecksumError, BoundaryServiceError

SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
PFA = boundaries.ons_service("pfa")
LAD = boundaries.ons_service("lad")


class FakeOns(LoopbackServer):
    """ArcGIS Online's answers for the ONS layers, with a log of every query asked."""

    def __init__(self, geo: Path, max_record_count: int = 100, services: dict[str, str] | None = None):
        # services: the name each layer is served under (default: the names in ONS_SERVICES)
        self.max_record_count = max_record_count
        self.layers: dict[str, list[dict]] = {}
        self.items: dict[str, str] = {}
        self.queries: list[tuple[str, int, int]] = []  # (service, resultOffset, features sent)
        self.ignore_offset = False
        for key, row in (("pfa", PFA), ("lad", LAD)):
            layer = boundaries.layer_info(key)
            features = json.loads((geo / layer.file).read_text(encoding="utf-8"))["features"]
            for number, feature in enumerate(features, start=1):
                feature["id"] = number  # ArcGIS adds the object id
                feature["properties"]["FID"] = number
                feature["properties"]["Shape__Area"] = 1.0e9
            self.layers[(services or {}).get(key, row.service)] = features
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.answer(self)

            def log_message(self, *args):  # keep test output quiet
                pass

        super().__init__(Handler)
        self.services_url = f"{self.url}/ESMARspQHYMw9BZ9/arcgis/rest/services"
        self.portal_url = f"{self.url}/sharing/rest"

    def kwargs(self, **more) -> dict:
        return {"services_url": self.services_url, "portal_url": self.portal_url, **more}

    def reexport(self, service: str) -> None:
        """What a new ONS export does to the bytes: the same areas, a vertex moved by a metre."""
        ring = self.layers[service][5]["geometry"]["coordinates"][0][0]
        ring[1] = [ring[1][0] + 0.00001, ring[1][1]]

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.strip("/").split("/")
        if parts.path.startswith("/sharing/rest/content/items/"):
            item = segments[-1]
            body = ({"id": item, "type": "Feature Service", "url": self.items[item]} if item in self.items
                    else {"error": {"code": 400, "messageCode": "CONT_0001",
                                    "message": "Item does not exist or is inaccessible.", "details": []}})
            return self._send(handler, body)
        if len(segments) < 4 or segments[-3:] != ["FeatureServer", "0", "query"] or segments[-4] not in self.layers:
            return self._send(handler, {"error": {"code": 400, "message": "Invalid URL", "details": ["Invalid URL"]}})
        service = segments[-4]
        assert query["f"] == "geojson" and query["outSR"] == "4326" and query["where"] == "1=1", query
        fields = query["outFields"].split(",")
        features = sorted(self.layers[service], key=lambda f: f["properties"][query["orderByFields"].split()[0]])
        offset = 0 if self.ignore_offset else int(query.get("resultOffset", 0))
        count = min(int(query.get("resultRecordCount", self.max_record_count)), self.max_record_count)
        page = [{**copy.deepcopy(f), "properties": {k: f["properties"][k] for k in fields}}
                for f in features[offset:offset + count]]
        self.queries.append((service, int(query.get("resultOffset", 0)), len(page)))
        body = {"type": "FeatureCollection", "features": page}
        if offset + len(page) < len(features):
            body["properties"] = {"exceededTransferLimit": True}
        self._send(handler, body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/geo+json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture
def geo() -> Path:
    if not SHARED_GEO.is_dir():
        pytest.skip("../shared/geo is not beside the project")
    return SHARED_GEO


@pytest.fixture
def ons(geo):
    with FakeOns(geo, max_record_count=50) as server:
        yield server


@pytest.fixture
def no_boundaries(tmp_path, monkeypatch):
    """No PPLIB_GEO_DIR, no mirror, an empty per-user cache, and no waiting between retries."""
    monkeypatch.delenv("PPLIB_GEO_DIR", raising=False)
    monkeypatch.delenv(boundaries.URL_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setattr(boundaries, "RETRY_DELAY", 0.0)
    return tmp_path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pplib")
    boundaries.add_boundaries_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["boundaries", *argv])
    return args.func(args)


def test_the_service_table_covers_the_ons_layers_of_the_manifest():
    assert {row.layer for row in boundaries.ONS_SERVICES} == {"pfa", "lad"}
    assert [layer.key for layer in boundaries.not_served_by_ons()] == ["postcode_area"]
    for row in boundaries.ONS_SERVICES:
        layer = boundaries.layer_info(row.layer)
        assert row.release in layer.source and row.seen_in
        assert row.service.replace("_", " ").lower().startswith(row.release.split(" (")[0].lower())
    assert boundaries.ONS_SERVICES_URL.startswith("https://services1.arcgis.com/ESMARspQHYMw9BZ9/")


def test_default_download_converts_the_pages_to_the_layers_the_maps_read(ons, geo, no_boundaries):
    import geopandas as gpd

    target = no_boundaries / "b"
    paths = boundaries.download_boundaries(None, target, **ons.kwargs())
    assert [p.name for p in paths] == [PFA_FILE, LAD_FILE]
    assert sorted(p.name for p in target.iterdir()) == sorted([PFA_FILE, LAD_FILE, boundaries.LOCK_FILE])
    for key, expected in (("pfa", 43), ("lad", 361)):
        layer = boundaries.layer_info(key)
        raw = json.loads((target / layer.file).read_text(encoding="utf-8"))
        assert raw["type"] == "FeatureCollection" and "crs" not in raw  # RFC 7946: longitude/latitude
        assert all(list(f["properties"]) == [layer.code_column, layer.name_column] for f in raw["features"])
        ours = gpd.read_file(target / layer.file)
        theirs = gpd.read_file(geo / layer.file)
        assert ours.crs.to_epsg() == 4326 and len(ours) == expected
        assert list(ours.columns) == [layer.code_column, layer.name_column, "geometry"]
        assert set(ours.geom_type) == {"MultiPolygon"} and ours.is_valid.all()
        assert list(ours[layer.code_column]) == sorted(theirs[layer.code_column])
        merged = ours.merge(theirs[[layer.code_column, layer.name_column, "geometry"]], on=layer.code_column)
        assert (merged[f"{layer.name_column}_x"] == merged[f"{layer.name_column}_y"]).all()
        assert gpd.GeoSeries(merged["geometry_x"]).geom_equals_exact(
            gpd.GeoSeries(merged["geometry_y"]), tolerance=1e-6).all()
    lock = boundaries.read_lock(target)
    assert set(lock) == {"pfa", "lad"}
    for key, entry in lock.items():
        assert entry["sha256"] == boundaries.file_sha256(target / boundaries.layer_info(key).file)
        assert entry["release"] == boundaries.ons_service(key).release and not entry["pinned"]
        assert entry["service"].startswith(ons.services_url)


def test_the_conversion_is_the_same_bytes_every_time(ons, no_boundaries):
    first = boundaries.download_boundaries(None, no_boundaries / "one", **ons.kwargs())
    second = boundaries.download_boundaries(None, no_boundaries / "two", **ons.kwargs(page_size=7))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_paging_fetches_every_page_once(ons, no_boundaries):
    # The fake serves at most 50 features a page (maxRecordCount) whatever is asked for.
    boundaries.download_boundaries(None, no_boundaries / "b", **ons.kwargs(page_size=20))
    pfa = [(offset, sent) for service, offset, sent in ons.queries if service == PFA.service]
    lad = [(offset, sent) for service, offset, sent in ons.queries if service == LAD.service]
    assert pfa == [(0, 20), (20, 20), (40, 3)]
    boundaries.download_boundaries(None, no_boundaries / "c", **ons.kwargs(page_size=1000))
    lad = [(offset, sent) for service, offset, sent in ons.queries if service == LAD.service][len(lad):]
    assert lad == [(offset, 50) for offset in range(0, 350, 50)] + [(350, 11)]  # capped at 50: 8 pages


def test_a_server_repeating_a_page_is_caught(ons, no_boundaries):
    ons.ignore_offset = True  # every page is the first one again, each saying more follow
    with pytest.raises(BoundaryServiceError, match="twice while paging"):
        boundaries.download_boundaries(None, no_boundaries / "b", layers=["lad"], **ons.kwargs())
    assert not (no_boundaries / "b" / LAD_FILE).exists()


def test_a_layer_with_areas_missing_is_refused(ons, no_boundaries):
    del ons.layers[LAD.service][3]
    with pytest.raises(BoundaryServiceError, match="sent 360 areas; .* has 361"):
        boundaries.download_boundaries(None, no_boundaries / "b", layers=["lad"], **ons.kwargs())
    assert not (no_boundaries / "b" / LAD_FILE).exists()


@pytest.mark.slow
def test_a_second_download_is_checked_against_the_lock(ons, no_boundaries):
    target = no_boundaries / "b"
    boundaries.download_boundaries(None, target, **ons.kwargs())
    first = boundaries.read_lock(target)
    asked = len(ons.queries)
    boundaries.download_boundaries(None, target, **ons.kwargs())
    assert len(ons.queries) == asked, "verified files are not fetched again"
    boundaries.download_boundaries(None, target, refresh=True, **ons.kwargs())
    assert len(ons.queries) > asked and boundaries.read_lock(target) == first  # same export: accepted

    ons.reexport(LAD.service)
    lad = target / LAD_FILE
    before = lad.read_bytes()
    with pytest.raises(BoundaryChecksumError) as refused:
        boundaries.download_boundaries(None, target, refresh=True, **ons.kwargs())
    message = str(refused.value)
    assert LAD_FILE in message and first["lad"]["sha256"] in message and boundaries.LOCK_FILE in message
    assert "has changed since it was first downloaded" in message and "--expect-sha256 lad=" in message
    assert lad.read_bytes() == before and boundaries.read_lock(target) == first
    assert sorted(p.name for p in target.iterdir()) == sorted([PFA_FILE, LAD_FILE, boundaries.LOCK_FILE])

    lad.unlink()  # a lost file is not replaced by a different one either
    with pytest.raises(BoundaryChecksumError, match="has changed"):
        boundaries.download_boundaries(None, target, **ons.kwargs())
    assert not lad.exists()

    new = message.split("the service now gives sha256 ")[1][:64]
    boundaries.download_boundaries(None, target, expect={"lad": new}, **ons.kwargs())  # accepting it
    assert boundaries.file_sha256(lad) == new == boundaries.read_lock(target)["lad"]["sha256"]
    assert boundaries.read_lock(target)["lad"]["pinned"] and boundaries.read_lock(target)["pfa"] == first["pfa"]


def test_expect_sha256_pins_a_release(ons, no_boundaries):
    known = boundaries.download_boundaries(None, no_boundaries / "first", layers=["pfa"], **ons.kwargs())[0]
    target = no_boundaries / "b"
    with pytest.raises(BoundaryChecksumError) as refused:
        boundaries.download_boundaries(None, target, expect={"pfa": "0" * 64}, **ons.kwargs())
    assert f"--expect-sha256 pfa={'0' * 64}" in str(refused.value)
    assert boundaries.file_sha256(known) in str(refused.value)
    assert not (target / PFA_FILE).exists() and boundaries.read_lock(target) == {}
    pinned = boundaries.file_sha256(known)
    boundaries.download_boundaries(None, target, layers=["pfa"], expect={"pfa": pinned}, **ons.kwargs())
    assert boundaries.read_lock(target)["pfa"]["sha256"] == pinned


def test_expect_sha256_pins_a_mirror_file_too(geo, no_boundaries):
    with pytest.raises(BoundaryChecksumError, match=f"--expect-sha256 lad={'a' * 64}"):
        boundaries.download_boundaries(str(geo), no_boundaries / "b", layers=["lad"], expect={"lad": "a" * 64})


def test_expect_sha256_arguments_are_checked(no_boundaries, capsys):
    with pytest.raises(ValueError, match="LAYER=HEX"):
        boundaries.parse_expectations(["pfa=abc"])
    assert boundaries.parse_expectations([f"lad={'AB' * 32}"]) == {"lad": "ab" * 32}
    assert _cli("download", "--expect-sha256", f"wards={'0' * 64}", "--to", str(no_boundaries / "b")) == 1
    out = capsys.readouterr().out
    assert out.startswith("error: --expect-sha256") and "unknown boundary layer 'wards'" in out


def test_an_unreachable_service_gives_a_clear_message(no_boundaries, monkeypatch, capsys):
    closed = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv(boundaries.SERVICES_ENV, f"{closed}/arcgis/rest/services")
    with pytest.raises(BoundaryServiceError, match=f"could not reach the ONS Open Geography Portal at {closed}"):
        boundaries.download_boundaries(None, no_boundaries / "b")
    assert _cli("download", "--to", str(no_boundaries / "c")) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"error: could not reach the ONS Open Geography Portal at {closed} ")
    assert "--from URL-OR-FOLDER" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert not (no_boundaries / "c" / PFA_FILE).exists()


def test_a_renamed_service_is_found_through_its_item(geo, no_boundaries):
    with FakeOns(geo, services={"pfa": "PFA_DEC_2020_EW_BUC_V2"}) as server:
        server.items[PFA.item] = f"{server.services_url}/PFA_DEC_2020_EW_BUC_V2/FeatureServer"
        boundaries.download_boundaries(None, no_boundaries / "b", layers=["pfa"], **server.kwargs())
        assert boundaries.read_lock(no_boundaries / "b")["pfa"]["service"] == (
            f"{server.services_url}/PFA_DEC_2020_EW_BUC_V2/FeatureServer/0/query")
        server.items.clear()
        with pytest.raises(BoundaryServiceError, match=f"names no service .*{PFA.item}"):
            boundaries.download_boundaries(None, no_boundaries / "c", layers=["pfa"], **server.kwargs())


def test_postcode_areas_are_not_asked_of_ons(ons, no_boundaries):
    with pytest.raises(ValueError, match="not published on the ONS Open Geography Portal"):
        boundaries.download_boundaries(None, no_boundaries / "b", layers=["postcode_area"], **ons.kwargs())


def test_cli_default_download_then_status_and_reading(ons, geo, no_boundaries, monkeypatch, capsys, caplog):
    monkeypatch.setenv(boundaries.SERVICES_ENV, ons.services_url)
    assert _cli("download") == 0
    out = capsys.readouterr().out
    lock = boundaries.cache_dir() / boundaries.LOCK_FILE
    assert out.count(f"as recorded in {lock}") == 2
    assert "postcode_area: not published on the ONS Open Geography Portal" in out
    assert "--from URL-OR-FOLDER --layer postcode_area" in out and "attribution" in out
    assert _cli("status") == 1  # the postcode areas are still missing
    out = capsys.readouterr().out
    assert out.count(f"verified ({boundaries.LOCK_FILE})") == 2 and "missing" in out
    with caplog.at_level("WARNING", logger=boundaries.log.name):
        assert len(boundaries.load_layer("pfa")) == 43
    assert not [r for r in caplog.records if "differs" in r.getMessage()]
    assert _cli("download", "--from", str(geo), "--layer", "postcode_area") == 0
    capsys.readouterr()
    assert _cli("status") == 0 and boundaries.available()
    assert set(boundaries.read_lock(boundaries.cache_dir())) == {"pfa", "lad"}


def test_a_mirror_download_replaces_what_the_lock_recorded(ons, geo, no_boundaries):
    target = no_boundaries / "b"
    boundaries.download_boundaries(None, target, **ons.kwargs())
    boundaries.download_boundaries(str(geo), target, layers=["lad"])
    assert set(boundaries.read_lock(target)) == {"pfa"}  # the lad file is the manifest's now
    assert boundaries.file_sha256(target / LAD_FILE) == boundaries.layer_info("lad").sha256


PFA_FILE = boundaries.layer_info("pfa").file
LAD_FILE = boundaries.layer_info("lad").file


def test_a_failing_service_is_asked_again_then_named(no_boundaries):
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with LoopbackServer(Handler) as server:
        url = f"{server.url}/services"
        with pytest.raises(BoundaryServiceError, match="answered HTTP 503"):
            boundaries.download_boundaries(None, no_boundaries / "b", services_url=url, portal_url=url)
    assert len(asked) == boundaries.RETRIES + 1
