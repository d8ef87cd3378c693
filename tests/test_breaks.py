"""pplib.figures.breaks computes the class bounds mapclassify computes, without importing it."""
import warnings

import numpy as np
import pytest

from pplib.figures import breaks

mapclassify = pytest.importorskip("mapclassify")

ARRAYS = {
    "counts": [0, 1, 2, 3, 4, 5, 6, 8, 13, 21, 34, 55],
    "ties": [3, 3, 3, 7, 7, 7, 7, 12, 12, 40, 40, 41],
    "two values": [5, 9],
    "three values": [1.5, 1.5, 20.25],
    "rates": [0.4, 1.25, 1.3, 2.75, 2.8, 3.1, 4.95, 5.05, 7.7, 12.125, 74.3],
    "unsorted": [118, 36, 41, 42, 37, 38, 40, 39, 43, 41, 39],
    "near ties": [1.0, 1.0000001, 1.0000002, 2.0, 2.0000001, 3.0, 3.0],
    "negative": [-4.5, -1.0, 0.0, 0.5, 9.0, 9.0, 9.5],
    "random": list(np.random.default_rng(16).gamma(2.0, 30.0, 60).round(1)),
    "random counts": list(np.random.default_rng(7).poisson(12, 43)),
}


def _classes(values):
    return range(2, min(6, len(np.unique(values))) + 1)


@pytest.mark.parametrize("name", ARRAYS)
@pytest.mark.parametrize("scheme", sorted(breaks.SCHEMES))
def test_bounds_match_mapclassify(name, scheme):
    values = np.asarray(ARRAYS[name], dtype=float)
    for k in _classes(values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify's "numba not installed", quantiles' repeated edges
            expected = getattr(mapclassify, scheme)(values, k=k).bins
        ours = breaks.SCHEMES[scheme](values, k)
        np.testing.assert_array_equal(ours, expected, err_msg=f"{scheme}, k={k}")
        assert ours.dtype == expected.dtype


def test_drawing_a_map_does_not_import_mapclassify():
    import subprocess
    import sys

    code = ("import sys; from pplib.figures import maps; maps.classify([1, 5, 9, 30, 31, 80], 5); "
            "maps.classify([1.5, 2.5, 9.0, 12.0], 3, 'Quantiles'); print('mapclassify' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
