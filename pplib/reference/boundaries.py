"""Official boundary layers for the maps: where they come from, how to get them, how to read them.

Boundary files are never kept in the repository. `pplib boundaries download` puts the layers in
MANIFEST into a per-user cache folder (or `--to DIR`); the maps then read them from PPLIB_GEO_DIR
when that is set, else from that cache.

By default (no `--from`, no PPLIB_BOUNDARY_URL) the layers ONS publishes are fetched from the ONS
Open Geography Portal's ArcGIS REST services (ONS_SERVICES: one entry per layer, naming the service
and the release it is), page by page, and converted here to the GeoJSON layers the maps read
(EPSG:4326, the MANIFEST's code and name columns, polygons as MultiPolygons). ONS exports' bytes
change from one export to the next, so such a file cannot be checked against a checksum fixed in
this module: its sha256 is recorded on first download in a lock file, `boundaries.lock.json`, kept
in the same folder as the layers, and every later download (and every read) is checked against it;
a download that no longer matches is refused and the file already there is kept. `--expect-sha256
LAYER=HEX` pins a known release instead (and records it). The postcode areas (GeoLytix 2012) are
not an ONS layer and have no service; they come from a mirror or folder only.

`--from URL-OR-FOLDER` (or PPLIB_BOUNDARY_URL) fetches the MANIFEST's files as they are from a
partnership's own mirror (any web server) or a shared folder, and checks each against the fixed
sha256 in MANIFEST, as before.

All of it is ONS (and, for the postcode areas, GeoLytix) data under the Open Government Licence
v3.0: every map drawn from a layer carries that layer's attribution statement (Layer.attribution).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from pplib.paths import PROJECT_ROOT, geo_dir

log = logging.getLogger(__name__)

URL_ENV = "PPLIB_BOUNDARY_URL"
DOWNLOAD_COMMAND = "pplib boundaries download"
MIRROR_COMMAND = "pplib boundaries download --from URL-OR-FOLDER"


@dataclass(frozen=True)
class Layer:
    key: str
    file: str
    sha256: str
    code_column: str
    name_column: str
    title: str
    attribution: str  # OGL statement to print on every map drawn from this layer (verbatim)
    source: str  # the official dataset the file was converted from


MANIFEST: tuple[Layer, ...] = (
    Layer(
        key="pfa", file="pfa_ew_dec2020_buc.geojson",
        sha256="b1168c134a61407b18b696ed6699ef59b86023c1af1dcf3db2e164e6dc1e3afe",
        code_column="PFA20CD", name_column="PFA20NM",
        title="Police force areas (December 2020), England and Wales",
        attribution="Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
                    "Contains OS data © Crown copyright and database right 2020.",
        source="ONS Open Geography Portal: Police Force Areas (December 2020) EW BUC "
               "(item 2a1e3c23f1f24f15808275f52b8ae20d), converted to GeoJSON (EPSG:4326)",
    ),
    Layer(
        key="lad", file="lad_uk_may2024_buc.geojson",
        sha256="7d87084656080d6914d95d6261a89f5722ae14a15cbbbb8fa18bbdf2da488ff9",
        code_column="LAD24CD", name_column="LAD24NM",
        title="Local authority districts (May 2024), UK",
        attribution="Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
                    "Contains OS data © Crown copyright and database right 2024.",
        source="ONS Open Geography Portal: Local Authority Districts (May 2024) Boundaries UK BUC, "
               "converted to GeoJSON (EPSG:4326) with PFA24CD/PFA24NM joined from the ONS "
               "LAD24_CSP24_PFA24_EW lookup",
    ),
    Layer(
        key="postcode_area", file="postcode_areas_gb_geolytix2012.geojson",
        sha256="4b368ad8919f304d946993f02f74d17849289657dc19ce4731a93f8c666c6b63",
        code_column="PostArea", name_column="AreaName",
        title="Postcode areas (2012), Great Britain",
        attribution="Postal Boundaries © GeoLytix copyright and database right 2012. Contains Ordnance Survey "
                    "data © Crown copyright and database right 2012. Contains Royal Mail data © Royal Mail "
                    "copyright and database right 2012. Contains National Statistics data © Crown copyright "
                    "and database right 2012.",
        source="GeoLytix Postal Boundaries 2012 (PostalArea layer, OGL), Edinburgh DataShare handle "
               "10283/2597, simplified 0.5% and converted to GeoJSON (EPSG:4326)",
    ),
)


# --- the ONS Open Geography Portal's services: the default source ------------
#
# One row per MANIFEST layer that ONS serves. A layer's query URL is QUERY_URL:
#   {ONS_SERVICES_URL}/{service}/FeatureServer/{layer_id}/query
# asked for where=1=1, outFields=<code>,<name>, outSR=4326 and f=geojson, in pages of
# resultRecordCount features from resultOffset until a page no longer says exceededTransferLimit.
# Sources for the pattern and the names (checked 2026-12-02; no live request could be made from here):
# - ArcGIS REST API, "Query (Feature Service/Layer)" (developers.arcgis.com/rest/services-reference/
#   query-feature-service-layer-.htm, quoted in koopjs/FeatureServer#141): "The exceededTransferLimit property
#   is now included in the JSON response when paging through a query result with the resultOffset and
#   resultRecordCount parameters. When exceededTransferLimit is true, it indicates there are more query
#   results"; ArcGIS Online's f=geojson answer carries it as "properties": {"exceededTransferLimit": true}
#   (facebook/Rapid#404 on a services6.arcgis.com layer; Esri/esri-leaflet#1229 reads both places).
# - The ONS organisation's services root: humaniverse/geographr data-raw/query-urls.R (commit 5036cd0,
#   2025-11-11) queries e.g. .../ESMARspQHYMw9BZ9/arcgis/rest/services/LAD24_CSP24_PFA24_EW_LU/FeatureServer/
#   0/query; the PFA December 2023 BUC service is Police_Force_Areas_December_2023_EW_BUC on the same root in
#   several public scripts.
# - The item endpoint that resolves an item id to its service URL ("url" in the answer):
#   developers.arcgis.com/rest/users-groups-and-items/item.htm, https://www.arcgis.com/sharing/rest/content/
#   items/<id>?f=json.
ONS_SERVICES_URL = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
QUERY_URL = "{services_url}/{service}/FeatureServer/{layer_id}/query"
ARCGIS_PORTAL_URL = "https://www.arcgis.com/sharing/rest"
SERVICES_ENV = "PPLIB_ONS_SERVICES_URL"  # another services root (a proxy's, or the tests' local server)
PORTAL_ENV = "PPLIB_ARCGIS_PORTAL_URL"
LOCK_FILE = "boundaries.lock.json"  # in the boundary folder, beside the layers it records
PAGE_SIZE = 100  # features a page: under the usual ArcGIS maxRecordCount (1000-2000), and small answers
TIMEOUT = (10, 120)  # seconds to connect, and to wait for each answer
MAX_PAGES = 1000
RETRIES = 2  # more attempts after a connection failure, a timeout or a 429/5xx answer
RETRY_DELAY = 1.0  # seconds before the first of them, doubling


@dataclass(frozen=True)
class OnsService:
    layer: str  # MANIFEST key
    service: str  # the FeatureServer's name under ONS_SERVICES_URL
    release: str  # the ONS product (and vintage) it is
    features: int  # areas in that release: a download with another count is refused
    item: str | None = None  # ArcGIS Online item id: finds the service if ONS renames it
    layer_id: int = 0
    seen_in: str = ""  # where the service name was found


ONS_SERVICES: tuple[OnsService, ...] = (
    OnsService(
        layer="pfa", service="Police_Force_Areas_December_2020_EW_BUC",
        release="Police Force Areas (December 2020) EW BUC", features=43,
        item="2a1e3c23f1f24f15808275f52b8ae20d",
        # The item id is the one geographr downloaded (query-urls.R, opendata.arcgis.com/datasets/
        # 2a1e3c23f1f24f15808275f52b8ae20d_0.geojson); the service name follows ONS's pattern (as in
        # Police_Force_Areas_December_2023_EW_BUC) but was not found written down, so when the services root
        # says there is no such service the item id is resolved through ARCGIS_PORTAL_URL instead.
        seen_in="item: humaniverse/geographr data-raw/query-urls.R; name: ONS naming pattern (unconfirmed)",
    ),
    OnsService(
        layer="lad", service="Local_Authority_Districts_May_2024_Boundaries_UK_BUC",
        release="Local Authority Districts (May 2024) Boundaries UK BUC", features=361,
        seen_in="humaniverse/geographr data-raw/query-urls.R (commit 54554c6, 2024-12-10, id ltla24)",
    ),
    # postcode_area (GeoLytix Postal Boundaries 2012) is not an ONS product and has no service:
    # it comes from a mirror or folder only (`--from`).
)


def ons_service(key: str) -> OnsService | None:
    """The ONS service row of a MANIFEST layer, or None for a layer ONS does not serve."""
    return next((row for row in ONS_SERVICES if row.layer == key), None)


class BoundariesMissing(FileNotFoundError):
    """A boundary layer the maps need is not where boundaries are read from."""


class BoundaryChecksumError(ValueError):
    """A fetched boundary file is not the one expected (the manifest's, the lock's or a pinned one)."""


class BoundaryServiceError(OSError):
    """The ONS services could not be reached, or did not answer with the layer asked for."""


def layer_info(name: str) -> Layer:
    """A manifest entry by key ('pfa', 'lad', 'postcode_area') or by file name."""
    for layer in MANIFEST:
        if name in (layer.key, layer.file):
            return layer
    raise KeyError(f"unknown boundary layer '{name}'; known: {', '.join(l.key for l in MANIFEST)}")


def cache_dir() -> Path:
    """The per-user folder `pplib boundaries download` writes to by default."""
    import pooch  # imported late: only needed to find or fill the cache

    return Path(pooch.os_cache("pplib")) / "boundaries"


def boundaries_dir() -> Path:
    """Where boundaries are read from: PPLIB_GEO_DIR if set, else the download cache."""
    return geo_dir() or cache_dir()


def available(names: tuple[str, ...] | None = None) -> bool:
    """True when every layer named (default: all in the manifest) is present."""
    folder = boundaries_dir()
    layers = MANIFEST if names is None else tuple(layer_info(n) for n in names)
    return all((folder / layer.file).is_file() for layer in layers)


def missing_message(layer: Layer, folder: Path) -> str:
    where = "PPLIB_GEO_DIR" if geo_dir() else "the download cache; set PPLIB_GEO_DIR to read another folder"
    how = (f"`{DOWNLOAD_COMMAND}` (from the ONS Open Geography Portal)" if ons_service(layer.key)
           else f"`{MIRROR_COMMAND} --layer {layer.key}` (ONS does not publish it)")
    return (f"boundary file {layer.file} is not in {folder} ({where}). Get it with {how}, or from a mirror "
            f"with `{MIRROR_COMMAND}` (or set {URL_ENV}). Without them the national map falls back to a "
            "tile grid.")


def load_layer(name: str):
    """A boundary layer as a GeoDataFrame (EPSG:4326); raises BoundariesMissing when absent."""
    layer = layer_info(name)
    folder = boundaries_dir()
    path = folder / layer.file
    if not path.is_file():
        raise BoundariesMissing(missing_message(layer, path.parent))
    stat = path.stat()
    # Copy: the cached frame is shared by every caller in the process.
    return _read_layer(str(path), stat.st_size, stat.st_mtime_ns, accepted_sha256(layer, folder)).copy()


@lru_cache(maxsize=16)
def _read_layer(path: str, size: int, mtime_ns: int, accepted: tuple[str, ...]):
    # size and mtime are part of the key so a replaced file is read again.
    import geopandas as gpd

    actual = file_sha256(Path(path))
    if actual not in accepted:
        log.warning("%s differs from the manifest and from %s (sha256 %s, expected %s): maps may not match "
                    "the documented boundary vintage", path, LOCK_FILE, actual, " or ".join(accepted))
    log.info("reading boundaries %s", path)
    return gpd.read_file(path)


def accepted_sha256(layer: Layer, folder: Path) -> tuple[str, ...]:
    """The checksums a layer's file in `folder` may have: the manifest's, and the one its lock file records."""
    try:
        locked = read_lock(folder).get(layer.key, {}).get("sha256")
    except ValueError as exc:  # a damaged lock must not stop the maps; downloads say so and stop
        log.warning("%s", exc)
        locked = None
    return (layer.sha256,) + ((locked,) if locked and locked != layer.sha256 else ())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the lock file: checksums recorded on first download (trust on first use) ---

def lock_path(folder: Path) -> Path:
    return Path(folder) / LOCK_FILE


def read_lock(folder: Path) -> dict[str, dict]:
    """The layers recorded in `folder`'s lock file, by key ({} when there is none)."""
    path = lock_path(folder)
    if not path.is_file():
        return {}
    try:
        layers = json.loads(path.read_text(encoding="utf-8")).get("layers", {})
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{path} is not a boundary lock file ({exc}); move it away to record the layers "
                         "again") from exc
    return layers if isinstance(layers, dict) else {}


def _write_lock(folder: Path, layers: dict[str, dict]) -> None:
    text = json.dumps({
        "about": "sha256 of each boundary layer as first downloaded from the ONS Open Geography Portal by "
                 "`pplib boundaries download`; later downloads and reads are checked against it. Pin a release "
                 "with --expect-sha256 LAYER=HEX.",
        "layers": dict(sorted(layers.items())),
    }, indent=2, ensure_ascii=False) + "\n"
    _write_atomic(lock_path(folder), text.encode("utf-8"))


def _write_atomic(destination: Path, data: bytes) -> None:
    # A temporary file beside the destination, so a half-written file never takes its place.
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(_readable(Path(temporary)), destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def parse_expectations(pairs: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """`--expect-sha256 LAYER=HEX` values as {layer key: sha256}; ValueError naming what is wrong."""
    expected: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, digest = pair.partition("=")
        key, digest = key.strip(), digest.strip().lower()
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"--expect-sha256 {pair!r}: give LAYER=HEX, HEX being the 64 hex digits of a sha256 "
                             f"(e.g. pfa={'0' * 64})")
        try:
            expected[layer_info(key).key] = digest
        except KeyError as exc:
            raise ValueError(f"--expect-sha256 {pair!r}: {exc.args[0]}") from None
    return expected


# --- download ---------------------------------------------------------------

def resolve_source(base_url: str | None) -> str | None:
    """The mirror or folder to fetch from (`--from`, else PPLIB_BOUNDARY_URL); None means the ONS services."""
    return base_url or os.environ.get(URL_ENV) or None


def _is_remote(source: str) -> bool:
    return re.match(r"^(https?|ftp|sftp)://", source) is not None


def _refuse_repository(target: Path) -> None:
    # Boundary files are licensed data with their own attribution; they are kept out of git.
    if target.resolve().is_relative_to(PROJECT_ROOT.resolve()):
        raise ValueError(f"{target} is inside the project repository; boundary files are kept outside it "
                         "(use the default cache or a folder elsewhere, then set PPLIB_GEO_DIR)")


def download_boundaries(base_url: str | None = None, target_dir: str | Path | None = None, *,
                        layers: list[str] | tuple[str, ...] | None = None, expect: dict[str, str] | None = None,
                        refresh: bool = False, services_url: str | None = None, portal_url: str | None = None,
                        page_size: int = PAGE_SIZE) -> list[Path]:
    """Get the boundary layers into target_dir (default: the per-user cache) and return their paths.

    With a source (`base_url`, else PPLIB_BOUNDARY_URL) every layer is fetched from `source/<file>` (or
    copied from a folder) and checked against its MANIFEST sha256. Without one, the layers ONS serves are
    fetched from the ONS services (ONS_SERVICES), converted, and checked against the lock file in
    target_dir (recorded there on first download); layers ONS does not serve are left out (see
    `not_served_by_ons`). `expect` ({layer key: sha256}) pins a layer to a known file in either case.
    A file that does not match raises BoundaryChecksumError and is not saved (a file already there is
    kept). Files already in target_dir that match are not fetched again, unless `refresh` (ONS only).
    """
    source = resolve_source(base_url)
    expect = dict(expect or {})
    wanted = tuple(layer_info(name) for name in layers) if layers else MANIFEST
    for key in expect:
        layer_info(key)
    target = Path(target_dir) if target_dir else cache_dir()
    _refuse_repository(target)
    if source is None:
        wanted = tuple(layer for layer in wanted if ons_service(layer.key))
        if not wanted:
            raise ValueError(f"{', '.join(layers or ())} is not published on the ONS Open Geography Portal: get it "
                             f"from a mirror or folder with `{MIRROR_COMMAND}`")
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    if source is None:
        ons = _OnsClient(services_url or os.environ.get(SERVICES_ENV) or ONS_SERVICES_URL,
                         portal_url or os.environ.get(PORTAL_ENV) or ARCGIS_PORTAL_URL, page_size)
        with ons:
            for layer in wanted:
                paths.append(_fetch_ons(ons, layer, target, expect.get(layer.key), refresh))
    else:
        fetch = _fetch_remote if _is_remote(source) else _copy_local
        for layer in wanted:
            paths.append(fetch(source, layer, target, expect.get(layer.key, layer.sha256)))
            log.info("%s ready in %s (sha256 verified)", layer.file, target)
        _forget_locked(target, wanted)
    _read_layer.cache_clear()
    return paths


def not_served_by_ons(layers: list[str] | tuple[str, ...] | None = None) -> list[Layer]:
    """The layers asked for (default: all) that a download from the ONS services leaves out."""
    wanted = tuple(layer_info(name) for name in layers) if layers else MANIFEST
    return [layer for layer in wanted if not ons_service(layer.key)]


def _forget_locked(target: Path, layers: tuple[Layer, ...]) -> None:
    # A layer just taken from a mirror is the manifest's file: the checksum an ONS download recorded no longer
    # describes it.
    locked = read_lock(target)
    if any(layer.key in locked for layer in layers):
        _write_lock(target, {k: v for k, v in locked.items() if k not in {layer.key for layer in layers}})


def _fetch_remote(base_url: str, layer: Layer, target: Path, sha256: str) -> Path:
    import pooch

    pooch.get_logger().setLevel(logging.WARNING)  # this module logs its own progress
    url = f"{base_url.rstrip('/')}/{layer.file}"
    try:
        fetched = pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=layer.file, path=target,
                                 downloader=pooch.HTTPDownloader(progressbar=False, timeout=60))
    except ValueError as exc:
        # pooch streams to a temporary file and deletes it on a mismatch; say which file and hashes.
        got = re.search(r"got ([0-9a-fA-F]{64})", str(exc))
        raise BoundaryChecksumError(_checksum_message(layer, url, got.group(1) if got else "unknown",
                                                      sha256)) from exc
    return _readable(Path(fetched))


def _readable(path: Path) -> Path:
    # Temporary files are created owner-only; a shared boundary folder must be readable by all.
    path.chmod(0o644)
    return path


def _copy_local(folder: str, layer: Layer, target: Path, sha256: str) -> Path:
    source = Path(folder.removeprefix("file://")) / layer.file
    destination = target / layer.file
    if destination.is_file() and file_sha256(destination) == sha256:
        return destination
    if not source.is_file():
        raise BoundariesMissing(f"{source} not found: the boundary source folder must hold {layer.file}")
    # Copy to a temporary file beside the destination, so a bad copy never takes its place.
    handle, temporary = tempfile.mkstemp(prefix=f".{layer.file}.", dir=target)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        actual = file_sha256(Path(temporary))
        if actual != sha256:
            raise BoundaryChecksumError(_checksum_message(layer, str(source), actual, sha256))
        os.replace(_readable(Path(temporary)), destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


def _checksum_message(layer: Layer, origin: str, actual: str, expected: str) -> str:
    which = "the manifest" if expected == layer.sha256 else f"--expect-sha256 {layer.key}={expected}"
    return (f"{layer.file} from {origin} does not match {which}: expected sha256 {expected}, "
            f"got sha256 {actual}. The file was not saved; the source is corrupt or holds another "
            "version of the layer.")


# --- from the ONS services ---------------------------------------------------

def _fetch_ons(ons: _OnsClient, layer: Layer, target: Path, pinned: str | None, refresh: bool) -> Path:
    """One layer from its ONS service, checked against the pin or the lock (recorded on first download)."""
    row = ons_service(layer.key)
    destination = target / layer.file
    locked = read_lock(target).get(layer.key)
    trusted = {pinned} if pinned else {layer.sha256} | ({locked["sha256"]} if locked else set())
    if not refresh and destination.is_file() and file_sha256(destination) in trusted:
        log.info("%s already in %s (sha256 %s)", layer.file, target, "pinned" if pinned else "verified")
        return destination
    url, data = ons.layer_geojson(row, layer)
    actual = hashlib.sha256(data).hexdigest()
    if pinned and actual != pinned:
        raise BoundaryChecksumError(
            f"{layer.file} from {url} does not match --expect-sha256 {layer.key}={pinned}: got sha256 {actual}. "
            "The file was not saved: ONS now serves another export of the layer than the one pinned.")
    if not pinned and locked and actual != locked["sha256"]:
        raise BoundaryChecksumError(
            f"{layer.file} from the ONS service {url} has changed since it was first downloaded into {target}: "
            f"{LOCK_FILE} there records sha256 {locked['sha256']} (first downloaded {locked.get('recorded', '?')}), "
            f"the service now gives sha256 {actual}. The file was not replaced"
            f"{' (the one you have is kept)' if destination.is_file() else ''}. ONS may have re-exported or "
            f"corrected the layer: to take the new one, check it and run `{DOWNLOAD_COMMAND} --expect-sha256 "
            f"{layer.key}={actual}`.")
    _write_atomic(destination, data)
    entry = {"file": layer.file, "sha256": actual, "release": row.release, "service": url,
             "features": row.features,
             "recorded": (locked or {}).get("recorded") if locked and locked["sha256"] == actual
             else datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "pinned": bool(pinned)}
    _write_lock(target, {**read_lock(target), layer.key: entry})
    log.info("%s from %s ready in %s (sha256 %s %s)", layer.file, url, target, actual,
             "pinned" if pinned else ("matches the lock" if locked else f"recorded in {LOCK_FILE}"))
    return destination


class _NoSuchService(Exception):
    """The services root has no service of that name."""


class _OnsClient:
    """Pages of one ArcGIS feature layer's /query, with requests: a timeout, a few retries, clear errors."""

    def __init__(self, services_url: str, portal_url: str, page_size: int):
        self.services_url = services_url.rstrip("/")
        self.portal_url = portal_url.rstrip("/")
        self.page_size = page_size

    def __enter__(self):
        import requests

        self.session = requests.Session()
        self.session.headers["User-Agent"] = "pplib-boundaries (https://geoportal.statistics.gov.uk)"
        return self

    def __exit__(self, *exc):
        self.session.close()

    def query_url(self, row: OnsService) -> str:
        return QUERY_URL.format(services_url=self.services_url, service=row.service, layer_id=row.layer_id)

    def layer_geojson(self, row: OnsService, layer: Layer) -> tuple[str, bytes]:
        """(query URL used, the layer as GeoJSON bytes in the form the maps read)."""
        url = self.query_url(row)
        try:
            features = self.features(url, layer)
        except _NoSuchService:
            if not row.item:
                raise BoundaryServiceError(
                    f"the ONS services have no {row.service} ({url}): ONS may have renamed or withdrawn "
                    f"{row.release}. Get the files from a mirror with `{MIRROR_COMMAND}`.") from None
            url = self.resolve_item(row)
            try:
                features = self.features(url, layer)
            except _NoSuchService:
                raise BoundaryServiceError(f"{url} (item {row.item}, {row.release}) answered that there is no "
                                           "such service") from None
        return url, to_geojson(features, layer, row, url)

    def resolve_item(self, row: OnsService) -> str:
        item_url = f"{self.portal_url}/content/items/{row.item}"
        try:
            info = self.get_json(item_url, {"f": "json"})
        except _NoSuchService:
            info = {}
        service = str(info.get("url") or "").rstrip("/")
        if not service:
            raise BoundaryServiceError(f"the ONS services have no {row.service}, and ArcGIS item {row.item} "
                                       f"({row.release}) names no service ({item_url}). Get the files from a "
                                       f"mirror with `{MIRROR_COMMAND}`.")
        if re.search(r"/FeatureServer$", service):
            service += f"/{row.layer_id}"
        log.info("%s is not under %s; item %s names %s", row.service, self.services_url, row.item, service)
        return f"{service}/query"

    def features(self, url: str, layer: Layer) -> list[dict]:
        """Every feature of the layer, page by page (resultOffset/resultRecordCount, exceededTransferLimit)."""
        features: list[dict] = []
        seen: set = set()
        for _ in range(MAX_PAGES):
            page = self.get_json(url, {
                "where": "1=1", "outFields": f"{layer.code_column},{layer.name_column}", "returnGeometry": "true",
                "outSR": "4326", "orderByFields": f"{layer.code_column} ASC", "resultOffset": str(len(features)),
                "resultRecordCount": str(self.page_size), "f": "geojson"})
            batch = page.get("features")
            if page.get("type") != "FeatureCollection" or not isinstance(batch, list):
                raise BoundaryServiceError(f"{url} did not answer with a GeoJSON FeatureCollection")
            for feature in batch:
                code = (feature.get("properties") or {}).get(layer.code_column)
                if code is None:
                    raise BoundaryServiceError(f"{url} sent a feature without {layer.code_column}: it is not the "
                                               f"layer {layer.file} is made from")
                if code in seen:
                    raise BoundaryServiceError(f"{url} sent {code} twice while paging (resultOffset "
                                               f"{len(features)}): the pages overlap")
                seen.add(code)
            features.extend(batch)
            more = page.get("exceededTransferLimit", (page.get("properties") or {}).get("exceededTransferLimit"))
            if not more:
                return features
            if not batch:
                raise BoundaryServiceError(f"{url} said more features follow (exceededTransferLimit) but sent none "
                                           f"from resultOffset {len(features)}")
        raise BoundaryServiceError(f"{url} sent more than {MAX_PAGES} pages")

    @staticmethod
    def _pause(attempt: int, url: str, why: str) -> None:
        delay = RETRY_DELAY * 2 ** attempt
        log.info("%s: %s; asking again in %.1f s", url, why, delay)
        time.sleep(delay)

    def get_json(self, url: str, params: dict) -> dict:
        import requests

        host = re.sub(r"^(https?://[^/]+).*$", r"\1", url)
        for attempt in range(RETRIES + 1):
            try:
                answer = self.session.get(url, params=params, timeout=TIMEOUT)
            except requests.exceptions.Timeout:
                if attempt < RETRIES:
                    self._pause(attempt, url, "no answer")
                    continue
                raise BoundaryServiceError(
                    f"the ONS Open Geography Portal ({host}) did not answer within {TIMEOUT[1]} s. Try again "
                    f"later, or get the files from a mirror or folder with `{MIRROR_COMMAND}`.") from None
            except requests.exceptions.RequestException as exc:
                if attempt < RETRIES and isinstance(exc, requests.exceptions.ConnectionError):
                    self._pause(attempt, url, _short(exc))
                    continue
                raise BoundaryServiceError(
                    f"could not reach the ONS Open Geography Portal at {host} ({_short(exc)}). Check the network "
                    "connection (and HTTPS_PROXY if you are behind a proxy), or get the files from a mirror or "
                    f"folder with `{MIRROR_COMMAND}`.") from None
            if answer.status_code in (429, 500, 502, 503, 504) and attempt < RETRIES:
                self._pause(attempt, url, f"HTTP {answer.status_code}")
                continue
            break
        if answer.status_code == 404:
            raise _NoSuchService(url)
        try:
            data = answer.json()
        except ValueError:
            if answer.status_code >= 400:
                raise BoundaryServiceError(f"{url} answered HTTP {answer.status_code} {answer.reason}") from None
            raise BoundaryServiceError(f"{url} did not answer with JSON (HTTP {answer.status_code}, "
                                       f"{answer.headers.get('Content-Type', 'no content type')})") from None
        if answer.status_code >= 400 and not (isinstance(data, dict) and data.get("error")):
            raise BoundaryServiceError(f"{url} answered HTTP {answer.status_code} {answer.reason}")
        error = data.get("error") if isinstance(data, dict) else None
        if error:  # ArcGIS answers errors with HTTP 200 and {"error": {"code", "message", "details"}}
            message = str(error.get("message") or error)
            if error.get("code") in (400, 404) and re.search(r"invalid url|not found|does not exist", message, re.I):
                raise _NoSuchService(url)
            raise BoundaryServiceError(f"{url} answered an error: {error.get('code', '')} {message}".strip())
        if not isinstance(data, dict):
            raise BoundaryServiceError(f"{url} did not answer with a JSON object")
        return data


def _short(exc: Exception) -> str:
    text = str(exc)
    found = re.search(r"(Connection refused|Name or service not known|Temporary failure in name resolution|"
                      r"No route to host|Network is unreachable|certificate verify failed[^')\]]*)", text)
    return found.group(1) if found else text[:200]


# UK and its islands, generously: a coordinate outside is not longitude/latitude (outSR=4326 not honoured).
_LON, _LAT = (-15.0, 5.0), (45.0, 65.0)


def to_geojson(features: list[dict], layer: Layer, row: OnsService, url: str = "") -> bytes:
    """The ONS pages as the GeoJSON layer the maps read: the same bytes for the same content, every time.

    One FeatureCollection named after the file, features sorted by code, properties only the MANIFEST's
    code and name columns, geometries MultiPolygons in EPSG:4326 (RFC 7946 longitude/latitude, no crs
    member) with coordinates rounded to 6 decimals (about 0.1 m; the BUC layers are generalised to 500 m).
    """
    if len(features) != row.features:
        raise BoundaryServiceError(f"{url or row.service} sent {len(features)} areas; {row.release} has "
                                   f"{row.features}. Not saved: the service holds another release of the layer.")
    out = []
    for feature in sorted(features, key=lambda f: str(f["properties"][layer.code_column])):
        properties = feature["properties"]
        code = properties[layer.code_column]
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygons = [geometry.get("coordinates")]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry.get("coordinates")
        else:
            raise BoundaryServiceError(f"{url or row.service}: {code} has no polygon geometry "
                                       f"({geometry.get('type', 'none')})")
        out.append({"type": "Feature",
                    "properties": {layer.code_column: code, layer.name_column: properties.get(layer.name_column)},
                    "geometry": {"type": "MultiPolygon", "coordinates": _lonlat(polygons, code, url or row.service)}})
    collection = {"type": "FeatureCollection", "name": Path(layer.file).name.removesuffix(".geojson"),
                  "features": out}
    return (json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _lonlat(polygons, code: str, origin: str) -> list:
    rounded = []
    try:
        for polygon in polygons:
            rings = []
            for ring in polygon:
                points = []
                for x, y, *_ in ring:
                    if not (_LON[0] <= x <= _LON[1] and _LAT[0] <= y <= _LAT[1]):
                        raise BoundaryServiceError(
                            f"{origin}: {code} has a point ({x}, {y}) that is not a UK longitude/latitude; the "
                            "service did not answer in EPSG:4326 (outSR=4326)")
                    points.append([round(float(x), 6), round(float(y), 6)])
                rings.append(points)
            rounded.append(rings)
    except (TypeError, ValueError) as exc:
        raise BoundaryServiceError(f"{origin}: {code} has malformed coordinates ({exc})") from None
    return rounded


def status() -> list[dict]:
    """Each manifest layer: where it is read from and whether it is present and verified."""
    folder = boundaries_dir()
    rows = []
    for layer in MANIFEST:
        path = folder / layer.file
        present = path.is_file()
        actual = file_sha256(path) if present else None
        rows.append({"layer": layer.key, "file": layer.file, "path": str(path), "present": present,
                     "verified": present and actual in accepted_sha256(layer, folder),
                     "by": "manifest" if actual == layer.sha256 else (LOCK_FILE if present else None)})
    return rows


# --- command line (registered by pplib.cli) ----------------------------------

def add_boundaries_command(subparsers) -> None:
    """Register `pplib boundaries download|status` on the CLI's subparsers."""
    parser = subparsers.add_parser("boundaries", help="get or check the official boundary files the maps use")
    commands = parser.add_subparsers(dest="boundaries_command", required=True)
    download = commands.add_parser(
        "download", help="fetch the boundary layers (default: from the ONS Open Geography Portal), verify their "
                         "sha256 and keep them in a cache folder")
    download.add_argument("--from", dest="source", default=None,
                          help=f"base URL of a mirror (files at URL/<name>) or folder holding the files, checked "
                               f"against the manifest's sha256; default: ${URL_ENV}, else the ONS services")
    download.add_argument("--to", dest="target", default=None,
                          help="folder to write into (default: the per-user cache the maps read)")
    download.add_argument("--layer", action="append", choices=[layer.key for layer in MANIFEST], default=None,
                          help="only this layer (repeat for more; default: all)")
    download.add_argument("--expect-sha256", action="append", default=[], metavar="LAYER=HEX",
                          help="pin a layer to a known file: refuse anything else (repeat for more layers)")
    download.add_argument("--refresh", action="store_true",
                          help="ask the ONS services again even for files already verified, to check they still "
                               f"serve what {LOCK_FILE} records")
    download.set_defaults(func=_cmd_download)
    check = commands.add_parser("status", help="say where boundaries are read from and whether each is present")
    check.set_defaults(func=_cmd_status)


def _cmd_download(args) -> int:
    try:
        expect = parse_expectations(args.expect_sha256)
        from_ons = resolve_source(args.source) is None
        paths = download_boundaries(args.source, args.target, layers=args.layer, expect=expect,
                                    refresh=args.refresh)
    except (ValueError, BoundariesMissing, OSError) as exc:
        print(f"error: {exc}")
        return 1
    target = paths[0].parent
    locked = read_lock(target)
    for path in paths:
        layer = layer_info(path.name)
        entry = locked.get(layer.key) if from_ons else None
        if entry and entry["sha256"] != layer.sha256:
            print(f"{path}  ({entry.get('release', 'ONS')}; sha256 {entry['sha256']} as recorded in "
                  f"{target / LOCK_FILE} on {entry.get('recorded', '?')})")
        else:
            print(f"{path}  (sha256 verified)")
    if from_ons:
        for layer in not_served_by_ons(args.layer):
            if not (target / layer.file).is_file():
                print(f"{layer.key}: not published on the ONS Open Geography Portal ({layer.title}); get it from a "
                      f"mirror or folder with `{MIRROR_COMMAND} --layer {layer.key}`. Until then those maps are "
                      "left out.")
    if target.resolve() != boundaries_dir().resolve():
        print(f"The maps read boundaries from {boundaries_dir()}; set PPLIB_GEO_DIR={target} to use these.")
    print("Put the attribution statements (pplib.reference.boundaries.MANIFEST) on every map drawn from them.")
    return 0


def _cmd_status(args) -> int:
    rows = status()
    print(f"boundaries are read from {boundaries_dir()}"
          f" ({'PPLIB_GEO_DIR' if geo_dir() else 'download cache'})")
    for row in rows:
        state = ("verified" + (f" ({row['by']})" if row["by"] != "manifest" else "") if row["verified"]
                 else ("present, checksum differs" if row["present"] else "missing"))
        print(f"  {row['layer']:<14} {row['file']:<42} {state}")
    if not all(row["present"] for row in rows):
        print(f"Get them with `{DOWNLOAD_COMMAND}` (postcode areas: `{MIRROR_COMMAND} --layer postcode_area`).")
        return 1
    return 0
