"""The locality's ledger of cells, and the choice of what to suppress over all of them.

One partner build of one locality keeps one ledger (``<output_dir>/disclosure/ledger.json``): every cell
shown so far, by key, with its value and whether it is suppressed and why. A table, map or sentence that
shows a cell already in the ledger shows it the same way; new cells are decided with every earlier one in
view:

1. *Primary*: a count of 1 to T-1 is suppressed.
2. *Secondary*, over the whole ledger: the reader's linear model (``cells.Model``: every relation between the
   cells, those shown fixed) must leave every suppressed cell able to reach T, and must not show a group of
   fewer than G records all in one category. Where it does not, a mixed integer programme (HiGHS through
   ``scipy.optimize.milp``) picks the new cells to suppress at least loss: each costs 1 + log(1 + value), and a
   margin (fewer conditions) costs more, so detail goes before totals.

A cell already shown is withdrawn only when no new cell will do; the ledger then says it was revised, and
the build runs the sections again on the kept decisions (``settle`` checks the whole ledger at the end of a
build). The build's audit then attacks the finished folder as a reader would.
"""
from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from pplib.disclosure import cells
from pplib.files import write_text

PRIMARY = "suppressed (primary)"
SECONDARY = "suppressed (secondary)"
GROUP = "suppressed (group)"


@dataclass
class Decision:
    value: int
    suppressed: bool
    reason: str
    table: str


@dataclass
class Ledger:
    threshold: int = 5
    group_threshold: int = 10
    rounding_base: int | None = None  # method "round": every count shown is rounded, none is exact
    revised: bool = False  # a cell already shown was withdrawn later: what showed it must be made again
    decided: dict[str, Decision] = field(default_factory=dict)
    domains: cells.Domains = field(default_factory=cells.Domains)
    tables: list[dict] = field(default_factory=list)
    withdrawn: set[str] = field(default_factory=set)  # the cells shown, then suppressed (revised)
    read_by: dict[str, set[str]] = field(default_factory=dict)  # section -> every cell it asked about
    reader: str = ""  # the section asking now (not kept: each section says who it is)

    # --- persistence: one file, rewritten after every table -------------------------------------
    @classmethod
    def for_rule(cls, rule, **kept) -> Ledger:
        """A ledger for a locality's Disclosure (threshold, group_threshold, method, rounding_base)."""
        return cls(rule.threshold, rule.group_threshold, rule.rounding_base if rule.method == "round" else None,
                   **kept)

    @classmethod
    def load(cls, path: Path, rule) -> Ledger:
        """The ledger kept at `path` (empty if none yet), under the locality's Disclosure `rule`."""
        if not path.exists():
            return cls.for_rule(rule)
        data = json.loads(path.read_text(encoding="utf-8"))
        ledger = cls.for_rule(rule, domains=cells.Domains.from_json(data["domains"]), tables=data["tables"])
        ledger.decided = {k: Decision(**d) for k, d in data["cells"].items()}
        ledger.revised = data.get("revised", False)
        ledger.withdrawn = set(data.get("withdrawn", ()))
        ledger.read_by = {section: set(keys) for section, keys in data.get("read_by", {}).items()}
        return ledger

    def save(self, path: Path) -> None:
        write_text(path, json.dumps({"cells": {k: vars(d) for k, d in self.decided.items()}, "revised": self.revised,
                                    "withdrawn": sorted(self.withdrawn),
                                    "read_by": {s: sorted(keys) for s, keys in sorted(self.read_by.items())},
                                    "domains": self.domains.as_json(), "tables": self.tables}))  # atomic

    # --- deciding -------------------------------------------------------------------------------
    def decide(self, table: str, values: dict[str, int]) -> dict[str, bool]:
        """Suppressed or not, for each key of `values` (new keys decided over the whole ledger)."""
        if self.reader:  # what this section's page depends on, should a cell be withdrawn later
            self.read_by.setdefault(self.reader, set()).update(values)
        new = {k: int(v) for k, v in values.items() if k not in self.decided}
        for k, v in new.items():
            small = 0 < v < self._smallest_shown()
            self.decided[k] = Decision(v, small, PRIMARY if small else ("rounded" if self.rounding_base else "shown"),
                                       table)
        if new and not self.rounding_base:  # rounded counts give no exact total to subtract from
            self._secondary(set(new))
        return {k: self.decided[k].suppressed for k in values}

    def _smallest_shown(self) -> int:
        """Rounding: no count may show as 0 when it is not (7 -> 5 with base 5, but 2 is suppressed)."""
        if not self.rounding_base:
            return self.threshold
        # the smallest count that rounds (halves up) to T or more: with T=7 and base 5, 8 (7 would show as 5)
        base = self.rounding_base
        return max(self.threshold, math.ceil(base * math.ceil(self.threshold / base) - base / 2))

    def shown(self, k: str) -> int | None:
        """The value a partner sees: None when suppressed, rounded (halves up) with method round."""
        d = self.decided[k]
        if d.suppressed:
            return None
        if not self.rounding_base:
            return d.value
        return int(math.floor(d.value / self.rounding_base + 0.5)) * self.rounding_base

    def _secondary(self, candidates: set[str], everywhere: bool = False) -> None:
        """Suppress the cheapest cells that leave nothing to work out. New cells go first; a cell already shown
        is withdrawn only when no new one will do, and then the ledger says it was revised (the sections that
        showed it run again). Measures share no relation, so only the linked ones are modelled; within them,
        unless `everywhere`, the cells two relations from a new one (what a new table can change)."""
        measures = ({cells.parse(k)[0] for k in self.decided} if everywhere
                    else _linked_measures({cells.parse(k)[0] for k in candidates}, self.domains))
        rel = cells.relations([k for k in self.decided if cells.parse(k)[0] in measures], self.domains)
        near = None if everywhere else _near(rel, candidates, hops=2)
        earlier = {k for k, d in self.decided.items() if not d.suppressed and k not in candidates
                   and cells.parse(k)[0] in measures}
        for _ in range(len(self.decided) + 1):
            model = self.model(rel)
            weak = self.weaknesses(rel, near, model)
            if not weak:
                return
            chosen = (self._cheapest_fix(model, weak[0], candidates)
                      or self._cheapest_fix(model, weak[0], candidates | earlier, new=candidates))
            if not chosen:  # nothing can fix it: the audit will name it
                return
            for k in chosen:
                d = self.decided[k]
                d.suppressed, d.reason = True, weak[0].reason
                if k in earlier:
                    self.revised = True
                    self.withdrawn.add(k)
                candidates.discard(k)
                earlier.discard(k)

    def settle(self) -> bool:
        """Check every cell against everything shown (not only near the newest); True if a cell already
        shown had to be withdrawn, so the sections must run again on these decisions."""
        self._secondary(set(), everywhere=True)
        return self.revised

    def readers_of_withdrawn(self, sections) -> list[str]:
        """The `sections` (in their order) whose pages asked about a withdrawn cell: they must be made again.
        All of them when a withdrawn cell has no known reader (a ledger from before readers were kept)."""
        readers = {s for s, keys in self.read_by.items() if keys & self.withdrawn}
        unread = self.withdrawn - set().union(*self.read_by.values())
        return list(sections) if unread else [s for s in sections if s in readers]

    def model(self, rel: cells.Relations) -> cells.Model:
        shown = {k: d.value for k, d in self.decided.items() if not d.suppressed}
        return cells.Model(rel, shown)

    def weaknesses(self, rel: cells.Relations, near: set[str] | None = None,
                   model: cells.Model | None = None) -> list[Weakness]:
        """What a reader could work out now (of the cells `near`, default all): suppressed cells pinned below
        T, and small groups shown all in one category of a personal characteristic."""
        bounds = (model or self.model(rel)).bounds
        weak = []
        for k, d in self.decided.items():
            if near is not None and k not in near:
                continue
            if d.suppressed and bounds(k)[1] < self.threshold - 1e-6:
                weak.append(Weakness(k, None, f"{SECONDARY}: the totals shown would pin {cells.parse(k)[0]} "
                                               f"to fewer than {self.threshold}"))
        for parent, children in rel.equal:
            if near is not None and parent not in near:
                continue
            if not cells.personal(parent, children) or not self._may_be_small_group(parent, children):
                continue
            lo, hi = bounds(parent)
            if not (lo > 1e-6 and hi < self.group_threshold - 1e-6):
                continue
            for child in children:
                if child in self.decided and bounds(child)[0] >= hi - 1e-6:
                    weak.append(Weakness(child, parent, f"{GROUP}: a group of fewer than {self.group_threshold} "
                                                        f"would be shown all in one category"))
        return weak

    def _may_be_small_group(self, parent: str, children: list[str]) -> bool:
        """Worth bounding: some child is shown, and the parent is shown small or made of shown cells only."""
        if not any(c in self.decided for c in children):
            return False
        if parent in self.decided:
            return 0 < self.decided[parent].value < self.group_threshold
        return all(c in self.decided for c in children) and sum(self.decided[c].value for c in children) < self.group_threshold

    def _cheapest_fix(self, model: cells.Model, weak: Weakness, candidates: set[str],
                      new: set[str] | None = None) -> list[str]:
        """The cells whose suppression at least loss lets the weak cell reach T (or its group split); a cell
        not `new` (already shown) costs four times as much, as withdrawing it means making its section again."""
        n = len(model.names)
        options = sorted(k for k in candidates if not self.decided[k].suppressed and k in model.index)
        if not options:
            return []
        m = len(options)
        big = float(sum(d.value for d in self.decided.values()) + self.threshold)
        rows, lower, upper = [], [], []
        if model.a_eq is not None:
            rows.append(np.hstack([model.a_eq, np.zeros((len(model.a_eq), m))]))
            lower += [0.0] * len(model.a_eq)
            upper += [0.0] * len(model.a_eq)
        if model.a_ub is not None:
            rows.append(np.hstack([model.a_ub, np.zeros((len(model.a_ub), m))]))
            lower += [-np.inf] * len(model.a_ub)
            upper += list(model.b_ub)
        x_low = np.array([b[0] for b in model.bounds_], dtype=float)
        x_high = np.array([np.inf if b[1] is None else b[1] for b in model.bounds_], dtype=float)
        link = np.zeros((2 * m, n + m))
        for j, k in enumerate(options):  # x_k within big of its value when z_k = 1, equal to it when 0
            i = model.index[k]
            value = self.decided[k].value
            x_low[i], x_high[i] = 0.0, np.inf
            link[2 * j, i], link[2 * j, n + j] = 1, -big
            link[2 * j + 1, i], link[2 * j + 1, n + j] = 1, big
            lower += [-np.inf, value]
            upper += [value, np.inf]
        rows.append(link)
        target = np.zeros(n + m)
        if weak.parent is None:  # the weak cell can reach T
            target[model.index[weak.key]] = 1
            bound = float(self.threshold)
        else:  # the group can hold someone outside the category
            target[model.index[weak.parent]], target[model.index[weak.key]] = 1, -1
            bound = 1.0
        rows.append(target[None, :])
        lower.append(bound)
        upper.append(np.inf)
        cost = np.concatenate([np.zeros(n), [self._cost(k) * (1 if new is None or k in new else 4) for k in options]])
        with _quiet():
            result = milp(cost, constraints=LinearConstraint(np.vstack(rows), lower, upper),
                          integrality=np.concatenate([np.zeros(n), np.ones(m)]),
                          bounds=Bounds(np.concatenate([x_low, np.zeros(m)]), np.concatenate([x_high, np.ones(m)])))
        if result.status != 0:
            return []
        return [k for j, k in enumerate(options) if result.x[n + j] > 0.5]

    def _cost(self, k: str) -> float:
        depth = len(cells.parse(k)[1])
        return (1 + math.log1p(self.decided[k].value)) * (1 + 2.0 / (1 + depth))

    # --- what the audit and the log read ---------------------------------------------------------
    def log_rows(self) -> list[dict]:
        rows = []
        for k, d in sorted(self.decided.items(), key=lambda item: (item[1].table, item[0])):
            if d.suppressed or d.reason == "rounded":
                measure, conditions = cells.parse(k)
                rows.append({"table": d.table, "cell": k, "measure": measure,
                             "conditions": "; ".join(f"{a}={b}" for a, b in sorted(conditions.items())),
                             "action": d.reason.split(":")[0], "reason": d.reason})
        return rows

    def suppressed_count(self) -> int:
        return sum(d.suppressed for d in self.decided.values())


def _linked_measures(measures: set[str], domains: cells.Domains) -> set[str]:
    """The measures, and those tied to them by an identity (rows used for crimes is the crimes total)."""
    linked = set(measures)
    for _ in range(len(domains.identities) + 1):
        grown = linked | {cells.parse(k)[0] for pair in domains.identities for k in pair
                          if {cells.parse(x)[0] for x in pair} & linked}
        if grown == linked:
            break
        linked = grown
    return linked


def _near(rel: cells.Relations, start: set[str], hops: int) -> set[str]:
    groups = [[p, *c] for p, c in rel.equal] + [[*a, *b] for a, b in rel.at_most]
    member: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        for k in group:
            member.setdefault(k, []).append(i)
    seen = set(start)
    frontier = set(start)
    for _ in range(hops):
        frontier = {k for f in frontier for i in member.get(f, ()) for k in groups[i]} - seen
        seen |= frontier
    return seen


@contextmanager
def _quiet():
    """HiGHS's MIP solver can print a debugging line straight to the process's stdout (file descriptor 1),
    which a notebook would show in the report: send descriptors 1 and 2 to nowhere while it runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


@dataclass
class Weakness:
    key: str
    parent: str | None
    reason: str
