"""Official boundary layers for the maps: where they come from, how to get them, how to read them.

Boundary files are never kept in the repository. `pplib boundaries download`
fetches the layers in MANIFEST from a base URL (or copies them from a folder),
checks each against its sha256 and keeps them in a per-user cache folder. The
maps then read them from PPLIB_GEO_DIR when that is set, else from that cache.

There is no default download address: ONS publishes these layers through its
Open Geography Portal as services and shapefile/GeoJSON exports whose bytes
change with every export, so the files in MANIFEST are converted GeoJSON copies
(EPSG:4326) with fixed checksums. A partnership points the command at its own
mirror of those files (any web server) or at a shared folder holding them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pplib.paths import PROJECT_ROOT, geo_dir

log = logging.getLogger(__name__)

URL_ENV = "PPLIB_BOUNDARY_URL"
DOWNLOAD_COMMAND = "pplib boundaries download --from URL-OR-FOLDER"


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


class BoundariesMissing(FileNotFoundError):
    """A boundary layer the maps need is not where boundaries are read from."""


class BoundaryChecksumError(ValueError):
    """A fetched boundary file is not the one in the manifest (corrupt, or another version)."""


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
    return (f"boundary file {layer.file} is not in {folder} ({where}). Get the boundaries with "
            f"`{DOWNLOAD_COMMAND}` (or set {URL_ENV} and run `pplib boundaries download`). "
            "Without them the national map falls back to a tile grid.")


def load_layer(name: str):
    """A boundary layer as a GeoDataFrame (EPSG:4326); raises BoundariesMissing when absent."""
    layer = layer_info(name)
    path = boundaries_dir() / layer.file
    if not path.is_file():
        raise BoundariesMissing(missing_message(layer, path.parent))
    stat = path.stat()
    # Copy: the cached frame is shared by every caller in the process.
    return _read_layer(str(path), stat.st_size, stat.st_mtime_ns, layer.sha256).copy()


@lru_cache(maxsize=16)
def _read_layer(path: str, size: int, mtime_ns: int, expected_sha256: str):
    # size and mtime are part of the key so a replaced file is read again.
    import geopandas as gpd

    actual = file_sha256(Path(path))
    if actual != expected_sha256:
        log.warning("%s differs from the manifest (sha256 %s, expected %s): maps may not match the "
                    "documented boundary vintage", path, actual, expected_sha256)
    log.info("reading boundaries %s", path)
    return gpd.read_file(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- download ---------------------------------------------------------------

def resolve_source(base_url: str | None) -> str:
    source = base_url or os.environ.get(URL_ENV)
    if not source:
        raise ValueError(
            f"no boundary source given: pass --from with the URL of a mirror or a folder holding "
            f"{', '.join(l.file for l in MANIFEST)}, or set {URL_ENV}. ONS publishes these layers on its "
            "Open Geography Portal, but not as these exact files, so there is no default address.")
    return source


def _is_remote(source: str) -> bool:
    return re.match(r"^(https?|ftp|sftp)://", source) is not None


def _refuse_repository(target: Path) -> None:
    # Boundary files are licensed data with their own attribution; they are kept out of git.
    if target.resolve().is_relative_to(PROJECT_ROOT.resolve()):
        raise ValueError(f"{target} is inside the project repository; boundary files are kept outside it "
                         "(use the default cache or a folder elsewhere, then set PPLIB_GEO_DIR)")


def download_boundaries(base_url: str | None = None, target_dir: str | Path | None = None) -> list[Path]:
    """Fetch every manifest layer from `base_url/<file>` (or copy it from a folder) into target_dir.

    Each file is checked against its sha256; a mismatch raises BoundaryChecksumError and leaves
    no file behind. Files already in target_dir with the right checksum are not fetched again.
    """
    source = resolve_source(base_url)
    target = Path(target_dir) if target_dir else cache_dir()
    _refuse_repository(target)
    target.mkdir(parents=True, exist_ok=True)
    fetch = _fetch_remote if _is_remote(source) else _copy_local
    paths = []
    for layer in MANIFEST:
        paths.append(fetch(source, layer, target))
        log.info("%s ready in %s (sha256 verified)", layer.file, target)
    _read_layer.cache_clear()
    return paths


def _fetch_remote(base_url: str, layer: Layer, target: Path) -> Path:
    import pooch

    pooch.get_logger().setLevel(logging.WARNING)  # this module logs its own progress
    url = f"{base_url.rstrip('/')}/{layer.file}"
    try:
        fetched = pooch.retrieve(url, known_hash=f"sha256:{layer.sha256}", fname=layer.file, path=target,
                                 downloader=pooch.HTTPDownloader(progressbar=False, timeout=60))
    except ValueError as exc:
        # pooch streams to a temporary file and deletes it on a mismatch; say which file and hashes.
        got = re.search(r"got ([0-9a-fA-F]{64})", str(exc))
        raise BoundaryChecksumError(_checksum_message(layer, url, got.group(1) if got else "unknown")) from exc
    return _readable(Path(fetched))


def _readable(path: Path) -> Path:
    # Temporary files are created owner-only; a shared boundary folder must be readable by all.
    path.chmod(0o644)
    return path


def _copy_local(folder: str, layer: Layer, target: Path) -> Path:
    source = Path(folder.removeprefix("file://")) / layer.file
    destination = target / layer.file
    if destination.is_file() and file_sha256(destination) == layer.sha256:
        return destination
    if not source.is_file():
        raise BoundariesMissing(f"{source} not found: the boundary source folder must hold {layer.file}")
    # Copy to a temporary file beside the destination, so a bad copy never takes its place.
    handle, temporary = tempfile.mkstemp(prefix=f".{layer.file}.", dir=target)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        actual = file_sha256(Path(temporary))
        if actual != layer.sha256:
            raise BoundaryChecksumError(_checksum_message(layer, str(source), actual))
        os.replace(_readable(Path(temporary)), destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


def _checksum_message(layer: Layer, origin: str, actual: str) -> str:
    return (f"{layer.file} from {origin} does not match the manifest: expected sha256 {layer.sha256}, "
            f"got sha256 {actual}. The file was not saved; the source is corrupt or holds another "
            "version of the layer.")


def status() -> list[dict]:
    """Each manifest layer: where it is read from and whether it is present and verified."""
    folder = boundaries_dir()
    rows = []
    for layer in MANIFEST:
        path = folder / layer.file
        present = path.is_file()
        rows.append({"layer": layer.key, "file": layer.file, "path": str(path), "present": present,
                     "verified": present and file_sha256(path) == layer.sha256})
    return rows


# --- command line (registered by pplib.cli) ----------------------------------

def add_boundaries_command(subparsers) -> None:
    """Register `pplib boundaries download|status` on the CLI's subparsers."""
    parser = subparsers.add_parser("boundaries", help="get or check the official boundary files the maps use")
    commands = parser.add_subparsers(dest="boundaries_command", required=True)
    download = commands.add_parser(
        "download", help="fetch the boundary files, verify their sha256 and keep them in a cache folder")
    download.add_argument("--from", dest="source", default=None,
                          help=f"base URL (files at URL/<name>) or folder holding the files; default: ${URL_ENV}")
    download.add_argument("--to", dest="target", default=None,
                          help="folder to write into (default: the per-user cache the maps read)")
    download.set_defaults(func=_cmd_download)
    check = commands.add_parser("status", help="say where boundaries are read from and whether each is present")
    check.set_defaults(func=_cmd_status)


def _cmd_download(args) -> int:
    try:
        paths = download_boundaries(args.source, args.target)
    except (ValueError, BoundariesMissing, OSError) as exc:
        print(f"error: {exc}")
        return 1
    for path in paths:
        print(f"{path}  (sha256 verified)")
    target = paths[0].parent
    if target.resolve() != boundaries_dir().resolve():
        print(f"The maps read boundaries from {boundaries_dir()}; set PPLIB_GEO_DIR={target} to use these.")
    print("Put the attribution statements (pplib.reference.boundaries.MANIFEST) on every map drawn from them.")
    return 0


def _cmd_status(args) -> int:
    rows = status()
    print(f"boundaries are read from {boundaries_dir()}"
          f" ({'PPLIB_GEO_DIR' if geo_dir() else 'download cache'})")
    for row in rows:
        state = "verified" if row["verified"] else ("present, checksum differs" if row["present"] else "missing")
        print(f"  {row['layer']:<14} {row['file']:<42} {state}")
    if not all(row["present"] for row in rows):
        print(f"Get them with `{DOWNLOAD_COMMAND}`.")
        return 1
    return 0
