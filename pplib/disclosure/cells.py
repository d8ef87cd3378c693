"""Cells: every count from local records that a partner may see, named by what it counts.

A cell counts one *measure* (crimes, victims, suspects, referrals, rows...) over the records that meet some
*conditions*, e.g. victims with ``{"primary_type": "labour", "sex": "female"}``. Its key is text that names
exactly that, so the same count shown in two tables, a map and a sentence is one cell, treated once.

The linear relations a reader can use follow from the keys and the *domains*: for each measure, every value
each dimension takes in the records (``unknown`` included). Over an additive dimension (each record has one
value) a cell is the sum of its children; over a non-additive one (a crime can show several themes) each
child is at most the cell. A coarsening (age band -> adult/child) ties a coarse cell to the sum of its fine
cells, give or take the fine ``unknown``. The protection planner and the audit build the same model here, so
what the build protects is what the audit attacks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Iterable
from urllib.parse import quote, unquote

import numpy as np
from scipy.optimize import linprog

_SAFE = " -_.,:;()/&'+!?*@#$^~[]{}<>\"`"  # kept as written in keys; only % | = are escaped


def key(measure: str, conditions: dict | None = None) -> str:
    """'victims|primary_type=labour|sex=female': conditions sorted by dimension, so one count has one key."""
    parts = [quote(str(measure), safe=_SAFE)]
    for dim, value in sorted((conditions or {}).items()):
        parts.append(f"{quote(str(dim), safe=_SAFE)}={quote(str(value), safe=_SAFE)}")
    return "|".join(parts)


def parse(text: str) -> tuple[str, dict[str, str]]:
    measure, items = _parsed(text)
    return measure, dict(items)


# Keys are parsed, and their margins listed, many thousand times per section (the model is made again for each
# new table): once per key is enough. Cached as tuples, so no caller can change what the next one gets.
@lru_cache(maxsize=None)
def _parsed(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    measure, *parts = text.split("|")
    items = []
    for part in parts:
        dim, _, value = part.partition("=")
        items.append((unquote(dim), unquote(value)))
    return unquote(measure), tuple(items)


@lru_cache(maxsize=None)
def _margins(text: str) -> tuple[str, ...]:
    """The key and every cell it is part of (each subset of its conditions)."""
    measure, items = _parsed(text)
    ordered = sorted(items)
    return tuple(key(measure, dict(subset)) for size in range(len(ordered) + 1)
                 for subset in combinations(ordered, size))


@lru_cache(maxsize=None)
def _parents(text: str) -> tuple[tuple[str, str], ...]:
    """(the cell one condition up, the dimension dropped), for each condition of the key."""
    measure, items = _parsed(text)
    conditions = dict(items)
    return tuple((key(measure, {d: v for d, v in conditions.items() if d != dim}), dim) for dim in conditions)


@dataclass
class Dimension:
    values: set[str] = field(default_factory=set)
    additive: bool = True

    def as_json(self) -> dict:
        return {"values": sorted(self.values), "additive": self.additive}


@dataclass(frozen=True)
class Coarsening:
    """Each fine value maps to one coarse value. Exact: every record's coarse value is its fine value's (age
    band and adult/child, both from the age); else records with the fine value `unknown` may have any."""
    measure: str
    fine: str
    coarse: str
    mapping: tuple[tuple[str, str], ...]
    unknown: str = "unknown"
    exact: bool = False

    def as_json(self) -> dict:
        return {"measure": self.measure, "fine": self.fine, "coarse": self.coarse,
                "mapping": dict(self.mapping), "unknown": self.unknown, "exact": self.exact}


class Domains:
    """Per measure, the values of each dimension seen in the records."""

    def __init__(self):
        self.dims: dict[str, dict[str, Dimension]] = {}
        self.coarsenings: set[Coarsening] = set()
        self.identities: set[tuple[str, str]] = set()  # two keys that count the same records

    def same(self, a: str, b: str) -> None:
        """Two cells of different measures that count the same records (rows used for crimes, and crimes)."""
        self.identities.add(tuple(sorted((a, b))))

    def add(self, measure: str, dim: str, values: Iterable, additive: bool = True) -> None:
        entry = self.dims.setdefault(measure, {}).setdefault(dim, Dimension(additive=additive))
        entry.values.update(str(v) for v in values)
        entry.additive = entry.additive and additive

    def as_json(self) -> dict:
        return {"dimensions": {m: {d: dim.as_json() for d, dim in sorted(dims.items())}
                               for m, dims in sorted(self.dims.items())},
                "coarsenings": [c.as_json() for c in sorted(self.coarsenings, key=lambda c: (c.measure, c.fine))],
                "identities": [list(pair) for pair in sorted(self.identities)]}

    @classmethod
    def from_json(cls, data: dict) -> Domains:
        domains = cls()
        for measure, dims in data.get("dimensions", {}).items():
            for dim, entry in dims.items():
                domains.add(measure, dim, entry["values"], entry.get("additive", True))
        for a, b in data.get("identities", []):
            domains.same(a, b)
        for c in data.get("coarsenings", []):
            domains.coarsenings.add(Coarsening(c["measure"], c["fine"], c["coarse"],
                                               tuple(sorted(c["mapping"].items())), c.get("unknown", "unknown"),
                                               c.get("exact", False)))
        return domains


# A group all in one category of these is disclosive (all male, all one nationality); not of, say, a quarter.
PERSONAL = frozenset({"sex", "nationality", "age_group", "age_band"})


def personal(parent: str, children: list[str]) -> bool:
    """Whether a relation breaks a group down by a personal characteristic."""
    dims = set(parse(children[0])[1]) - set(parse(parent)[1])
    return bool(dims & PERSONAL)


@dataclass
class Ratio:
    """A shown share, percentage or rate: value = scale * numerator / denominator, written to `decimals`
    places. The denominator is a cell key or a published constant (a population)."""
    numerator: str
    denominator: str | float
    scale: float
    value: float
    decimals: int


@dataclass
class Relations:
    equal: list[tuple[str, list[str]]] = field(default_factory=list)       # parent = sum(children)
    at_most: list[tuple[list[str], list[str]]] = field(default_factory=list)  # sum(left) <= sum(right)

    def variables(self) -> set[str]:
        found = set()
        for parent, children in self.equal:
            found.add(parent)
            found.update(children)
        for left, right in self.at_most:
            found.update(left)
            found.update(right)
        return found


@lru_cache(maxsize=None)
def _child(parent: str, dim: str, value: str) -> str:
    measure, items = _parsed(parent)
    return key(measure, {**dict(items), dim: value})


def relations(keys: Iterable[str], domains: Domains) -> Relations:
    """Every relation between the cells `keys` and the cells between them (each key's margins)."""
    universe = set()
    for k in keys:
        universe.update(_margins(k))
    by_parent: dict[tuple[str, str], set[str]] = {}
    for k in universe:
        for parent in _parents(k):
            by_parent.setdefault(parent, set()).add(k)
    out = Relations()
    for (parent, dim), present in sorted(by_parent.items()):
        measure, conditions = parse(parent)
        entry = domains.dims.get(measure, {}).get(dim)
        if entry is None:
            raise ValueError(f"no domain declared for dimension '{dim}' of {measure}")
        if entry.additive:
            children = [_child(parent, dim, v) for v in sorted(entry.values)]
            missing = present - set(children)
            if missing:
                raise ValueError(f"cells {sorted(missing)} use values not in the domain of '{dim}' of {measure}")
            out.equal.append((parent, children))
        else:
            out.at_most.extend(([child], [parent]) for child in sorted(present))
    for c in domains.coarsenings:
        _coarsen(c, universe, out)
    out.equal.extend((a, [b]) for a, b in sorted(domains.identities) if a in universe or b in universe)
    return out


def _coarsen(c: Coarsening, universe: set[str], out: Relations) -> None:
    """Coarse cell equal to the sum of its fine cells, or (not exact) between that and that plus the fine
    `unknown`."""
    fine_values: dict[str, list[str]] = {}
    for fine, coarse in c.mapping:
        fine_values.setdefault(coarse, []).append(fine)
    seen = set()
    for k in universe:
        measure, conditions = parse(k)
        if measure != c.measure or c.coarse not in conditions or c.fine in conditions:
            continue
        rest = {d: v for d, v in conditions.items() if d != c.coarse}
        fines = [key(measure, {**rest, c.fine: f}) for f in fine_values.get(conditions[c.coarse], [])]
        if k in seen or not fines:
            continue
        seen.add(k)
        if c.exact:
            out.equal.append((k, fines))
        else:
            out.at_most.append((fines, [k]))
            out.at_most.append(([k], fines + [key(measure, {**rest, c.fine: c.unknown})]))


class Model:
    """What a reader can work out: the relations, the cells shown (fixed), every other cell at least 0
    (ratios shown add two inequalities each). `bounds(cell)` is the smallest and largest value it can take.

    Shown cells are constants, so the free cells fall apart into small groups that share no constraint; a
    cell's bounds are solved over its own group alone (the same optimum, in a fraction of the time)."""

    def __init__(self, rel: Relations, shown: dict[str, float], ratios: Iterable[Ratio] = ()):
        ratios = list(ratios)
        names = rel.variables() | set(shown)
        for r in ratios:
            names.add(r.numerator)
            if isinstance(r.denominator, str):
                names.add(r.denominator)
        self.names = sorted(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        self._eq: list[dict[int, float]] = []
        self._ub: list[tuple[dict[int, float], float]] = []
        for parent, children in rel.equal:
            self._eq.append(self._row([(parent, -1)] + [(c, 1) for c in children]))
        for left, right in rel.at_most:
            self._ub.append((self._row([(k, 1) for k in left] + [(k, -1) for k in right]), 0.0))
        for r in ratios:  # (value -/+ half a unit of the last decimal) / scale * denominator bounds the numerator
            half = 0.5 * 10 ** (-r.decimals)
            for sign, edge in ((-1, r.value - half), (1, r.value + half)):
                terms, rhs = [(r.numerator, sign)], 0.0
                if isinstance(r.denominator, str):
                    terms.append((r.denominator, -sign * edge / r.scale))
                else:
                    rhs = sign * edge / r.scale * float(r.denominator)
                self._ub.append((self._row(terms), rhs))
        self.bounds_ = [(shown[k], shown[k]) if k in shown else (0, None) for k in self.names]
        self._groups = self._free_groups()
        self._solved: dict[int, tuple] = {}
        self._bounds: dict[str, tuple[float, float]] = {}

    def _row(self, terms) -> dict[int, float]:
        row: dict[int, float] = {}
        for k, coefficient in terms:
            i = self.index[k]
            row[i] = row.get(i, 0.0) + coefficient
        return row

    # the dense matrices, for the planner's integer programme
    @property
    def a_eq(self):
        return self._dense([r for r in self._eq]) if self._eq else None

    @property
    def b_eq(self):
        return np.zeros(len(self._eq)) if self._eq else None

    @property
    def a_ub(self):
        return self._dense([r for r, _ in self._ub]) if self._ub else None

    @property
    def b_ub(self):
        return np.array([rhs for _, rhs in self._ub]) if self._ub else None

    def _dense(self, rows) -> np.ndarray:
        out = np.zeros((len(rows), len(self.names)))
        for j, row in enumerate(rows):
            for i, coefficient in row.items():
                out[j, i] = coefficient
        return out

    def _is_free(self, i: int) -> bool:
        return self.bounds_[i][1] is None

    def _free_groups(self) -> dict[int, int]:
        """Each free cell's group: free cells joined by any constraint they share."""
        parent = {i: i for i in range(len(self.names)) if self._is_free(i)}

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        for row in [*self._eq, *(r for r, _ in self._ub)]:
            free = [i for i in row if i in parent]
            for other in free[1:]:
                parent[find(other)] = find(free[0])
        return {i: find(i) for i in parent}

    def _subproblem(self, group: int):
        """The group's own linear programme: its free cells, its constraints, shown cells moved to the right."""
        if group not in self._solved:
            members = sorted(i for i, g in self._groups.items() if g == group)
            local = {i: j for j, i in enumerate(members)}
            def part(rows_rhs):
                matrix, rhs = [], []
                for row, b in rows_rhs:
                    if not any(i in local for i in row):
                        continue
                    line = np.zeros(len(members))
                    constant = 0.0
                    for i, coefficient in row.items():
                        if i in local:
                            line[local[i]] += coefficient
                        else:
                            constant += coefficient * self.bounds_[i][0]
                    matrix.append(line)
                    rhs.append(b - constant)
                return (np.array(matrix), np.array(rhs)) if matrix else (None, None)
            a_eq, b_eq = part([(r, 0.0) for r in self._eq])
            a_ub, b_ub = part(self._ub)
            self._solved[group] = (local, a_eq, b_eq, a_ub, b_ub)
        return self._solved[group]

    def feasible(self) -> bool:
        """The values shown agree with every relation (and each group of free cells can be filled in)."""
        for row in self._eq:
            if not any(self._is_free(i) for i in row) and abs(sum(c * self.bounds_[i][0] for i, c in row.items())) > 1e-6:
                return False
        for row, b in self._ub:
            if not any(self._is_free(i) for i in row) and sum(c * self.bounds_[i][0] for i, c in row.items()) > b + 1e-6:
                return False
        for group in set(self._groups.values()):
            local, a_eq, b_eq, a_ub, b_ub = self._subproblem(group)
            if self._linprog(np.zeros(len(local)), a_eq, b_eq, a_ub, b_ub).status != 0:
                return False
        return True

    def bounds(self, cell: str) -> tuple[float, float]:
        """Smallest and largest value (solved once): a shown cell's own; a cell in no relation, 0 to infinity."""
        if cell not in self.index:
            return 0.0, math.inf
        i = self.index[cell]
        if not self._is_free(i):
            return self.bounds_[i]
        if cell not in self._bounds:
            local, a_eq, b_eq, a_ub, b_ub = self._subproblem(self._groups[i])
            objective = np.zeros(len(local))
            objective[local[i]] = 1
            low = self._linprog(objective, a_eq, b_eq, a_ub, b_ub)
            high = self._linprog(-objective, a_eq, b_eq, a_ub, b_ub)
            lo = low.fun if low.status == 0 else float("nan")
            hi = float("inf") if high.status == 3 else (-high.fun if high.status == 0 else float("nan"))
            self._bounds[cell] = (lo, hi)
        return self._bounds[cell]

    @staticmethod
    def _linprog(objective, a_eq, b_eq, a_ub, b_ub):
        return linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                       bounds=[(0, None)] * len(objective), method="highs")
