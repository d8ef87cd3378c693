"""End to end: papermill runs the section notebook for each sample locality and nbconvert exports HTML."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pplib import analyse
from pplib.build import run_section
from pplib.config import load_locality
from pplib.dataset import load_locality_data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the local picture once per sample locality."""
    from conftest import SAMPLE_SLUGS
    from pplib.paths import LOCALITIES_DIR
    out = tmp_path_factory.mktemp("outputs")
    return {slug: run_section(LOCALITIES_DIR / slug, "local_picture", out) for slug in SAMPLE_SLUGS}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_html_holds_locality_name_and_numbers_computed_from_data(built, sample_locality):
    result = built[sample_locality.name]
    html = result.html.read_text(encoding="utf-8")
    data = load_locality_data(load_locality(sample_locality))
    counts = analyse.headline_counts(data)
    text = _text(html)
    assert f"{data.locality.name}: 5.2 Local picture" in text
    assert f"{counts['crimes']:,} modern slavery crimes were recorded" in text
    assert f"{counts['victims']:,} victims" in text
    assert "SYNTHETIC DATA" in text
    assert text.count("OFFICIAL-SENSITIVE") >= 2  # top and bottom
    top_type = analyse.crimes_by_type(data).sort_values("crimes", ascending=False).iloc[0]
    assert re.search(rf"{top_type['primary_type']}\s+{top_type['crimes']}\s", text)


def test_html_hides_code_embeds_charts_and_fetches_nothing(built, sample_locality):
    html = built[sample_locality.name].html.read_text(encoding="utf-8")
    assert "open_section(" not in html and "from pplib" not in html
    charts = re.findall(r'<img alt="([^"]+)" class="pp-chart" src="data:image/png;base64,', html)
    assert sum(alt.startswith("Recorded modern slavery crimes") for alt in charts) == 2
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_tables_are_written_as_csv(built, sample_locality):
    tables = built[sample_locality.name].html.parent / "tables"
    names = {p.name for p in tables.glob("*.csv")}
    assert "recorded_crimes_by_primary_exploitation_type.csv" in names
    assert "sources_used.csv" in names


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium package is not installed")
def test_html_opens_in_a_real_browser(built, tmp_path):
    html = built["nottinghamshire"].html
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Nottinghamshire: 5.2 Local picture" in dom
    assert "modern slavery crimes were recorded" in dom
