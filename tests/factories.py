"""Small hand-made localities for unit tests: a few rows each, columns named canonically."""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import yaml

CRIME_COLUMNS = ["crime_ref", "date_committed", "date_recorded", "exploitation_types", "lad_code",
                 "county_lines", "sector", "mo_text"]


def crime(ref, recorded="01/06/2022", types="Labour", **extra):
    row = {"crime_ref": ref, "date_committed": "", "date_recorded": recorded, "exploitation_types": types,
           "lad_code": "E06000018", "county_lines": "N", "sector": "", "mo_text": ""}
    row.update(extra)
    return row


def victim(ref, vid, age="30", sex="Female", nationality="British", **extra):
    row = {"crime_ref": ref, "victim_id": vid, "victim_name": f"Person {vid}", "date_of_birth": "",
           "age": age, "sex": sex, "nationality": nationality}
    row.update(extra)
    return row


def write_csv(path: Path, rows: list[dict], columns=None, encoding="utf-8", title_rows=()):
    frame = pd.DataFrame(rows, columns=columns)
    text = "".join(f"{t}\n" for t in title_rows) + frame.to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode(encoding))
    return path


def make_locality(folder: Path, crimes: list[dict], victims: list[dict] | None = None,
                  crimes_source: dict | None = None, victims_source: dict | None = None,
                  period=("2021-01-01", "2023-12-31")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    crime_columns = list(crimes[0]) if crimes else CRIME_COLUMNS
    if not (folder / "crimes.csv").exists():
        write_csv(folder / "crimes.csv", crimes, crime_columns)
    sources = {"crimes": {"path": "crimes.csv", "columns": {c: c for c in crime_columns},
                          **(crimes_source or {})}}
    if victims is not None:
        victim_columns = list(victims[0]) if victims else list(victim("x", "x"))
        if not (folder / "victims.csv").exists():
            write_csv(folder / "victims.csv", victims, victim_columns)
        sources["victims"] = {"path": "victims.csv", "columns": {c: c for c in victim_columns},
                              **(victims_source or {})}
    config = {"name": "Nottinghamshire", "force_code": "E23000019", "partnership": "Test partnership",
              "period": {"start": period[0], "end": period[1]}, "sources": sources}
    (folder / "locality.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


def browser_or_skip() -> Path:
    """The Chromium, Chrome or Edge that reports are printed and checked in; the test is skipped without one."""
    import pytest

    from pplib.build.pdf import BrowserMissing, find_browser
    try:
        return find_browser()
    except BrowserMissing as exc:
        pytest.skip(f"no browser: {exc}")


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, for `with`: the tests' stand-in for a remote host."""

    def __init__(self, handler):
        from http.server import ThreadingHTTPServer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
