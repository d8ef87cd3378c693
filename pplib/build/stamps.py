"""Which sections are up to date: each records the hash of everything it was built from (code, reference
data, the locality's files, parameters, and the sections before it).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pplib.build.html import TEMPLATES
from pplib.build.outputs import section_notebook
from pplib.paths import REFERENCE_DIR


def _hash_files(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_and_reference_hash() -> str:
    """The toolkit itself and the published figures: a change to either rebuilds everything."""
    package = Path(__file__).parent
    files = [*package.rglob("*.py"), *TEMPLATES.rglob("*"), *REFERENCE_DIR.glob("*.csv")]
    return _hash_files(p for p in files if p.is_file())


def _locality_files(locality) -> list[Path]:
    files = [locality.base_dir / "locality.yaml", *(locality.source_path(k) for k in locality.sources)]
    if locality.case_studies:
        files += sorted((locality.base_dir / locality.case_studies).glob("*.md"))
    return sorted(set(files))


def inputs_hash(locality, section: str, edition: str, parameters: dict, upstream: str = "") -> str:
    from pplib.reference import boundaries
    digest = hashlib.sha256()
    for part in (_code_and_reference_hash(), _hash_files(_locality_files(locality)),
                 section_notebook(section).read_bytes().hex(), edition,
                 json.dumps(parameters, sort_keys=True, default=str),
                 str(boundaries.available()), upstream):
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


def stamp_path(out_dir: Path, section: str) -> Path:
    return out_dir / ".stamps" / f"{section}.json"


def up_to_date(out_dir: Path, section: str, digest: str) -> bool:
    stamp = stamp_path(out_dir, section)
    html_file = out_dir / "sections" / f"{section}.html"
    return stamp.exists() and html_file.exists() and json.loads(stamp.read_text())["inputs"] == digest
