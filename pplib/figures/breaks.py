"""Class upper bounds for maps, computed as mapclassify 2.10 computes them (same arithmetic, same ties), without
importing it: mapclassify pulls in scipy.stats and scikit-learn, most of a second in every process that draws
a map. tests/test_breaks.py compares these with mapclassify's own.
"""
from __future__ import annotations

import numpy as np


def fisher_jenks(values, k: int) -> np.ndarray:
    """Fisher's exact natural breaks (mapclassify.FisherJenks): the k classes of least within-class variance,
    by dynamic programming over the sorted values. In float32, as mapclassify's, so near-ties break alike."""
    x = np.sort(np.asarray(values, dtype="f8").ravel())
    starts = _fisher_jenks_starts(x, k)
    bounds = np.zeros(k + 1, dtype=x.dtype)
    bounds[k], bounds[0] = x[-1], x[0]
    end = len(x)
    for classes in range(k, 1, -1):  # walk back from the last class: each starts after the previous ends
        start = starts[end, classes]
        bounds[classes - 1] = x[int(start) - 2]
        end = int(start) - 1
    return bounds[1:]


def _fisher_jenks_starts(x: np.ndarray, k: int) -> np.ndarray:
    """starts[l, j]: where (1-based) the last of j optimal classes of the first l values starts."""
    n = len(x)
    starts = np.zeros((n + 1, k + 1), dtype=np.int32)
    cost = np.zeros((n + 1, k + 1), dtype=np.float32)  # least summed squared deviation
    starts[1, 1:] = 1
    cost[2:, 1:] = np.inf
    for last in range(2, n + 1):
        s1 = s2 = w = variance = np.float32(0)
        for m in range(1, last + 1):
            first = last - m + 1  # the class x[first-1 .. last-1], grown leftwards
            value = np.float32(x[first - 1])
            s2 += value * value
            s1 += value
            w += np.float32(1)
            variance = s2 - (s1 * s1) / w
            if first > 1:
                for j in range(2, k + 1):
                    if cost[last, j] >= variance + cost[first - 1, j - 1]:
                        starts[last, j] = first
                        cost[last, j] = variance + cost[first - 1, j - 1]
        starts[last, 1] = 1
        cost[last, 1] = variance
    return starts


def quantiles(values, k: int) -> np.ndarray:
    """mapclassify.Quantiles: the k quantiles (scipy's scoreatpercentile, linear between ranks), repeated
    ones merged."""
    x = np.sort(np.asarray(values).ravel())
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    return np.unique(np.array([_score_at_percentile(x, p) for p in percents]))


def _score_at_percentile(ordered: np.ndarray, percent: float):
    """scipy.stats.scoreatpercentile's 'fraction' interpolation, with its rounding."""
    index = percent / 100.0 * (len(ordered) - 1)
    i = int(index)
    if i == index:
        return np.add.reduce(ordered[i:i + 1] * np.array(1)) / 1.0
    weights = np.array([(i + 1 - index), (index - i)], float)
    return np.add.reduce(ordered[i:i + 2] * weights) / weights.sum()


def equal_interval(values, k: int) -> np.ndarray:
    """mapclassify.EqualInterval: k classes of equal width from the least value to the largest."""
    y = np.asarray(values).ravel()
    top, bottom = max(y), min(y)
    width = (top - bottom) * 1.0 / k
    cuts = np.arange(bottom + width, top + width, width)
    if len(cuts) > k:  # arange can overshoot by one
        cuts = cuts[0:k]
    cuts[-1] = top
    return cuts.copy()


SCHEMES = {"FisherJenks": fisher_jenks, "Quantiles": quantiles, "EqualInterval": equal_interval}
