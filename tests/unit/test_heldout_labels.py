"""The held-out sets' files stay consistent: each one's directory, labels and requests, and the need ids."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.benchmarks.eval_match import HELDOUT, HERE, KINDS, _labels, _relevant, _wants, split_of

# The first set and four more, each by another writer who never saw the taxonomy (see each one's README.md).
SETS = [HELDOUT, *sorted(HERE.glob("heldout_*"))]
each_set = pytest.mark.parametrize("folder", SETS, ids=[s.name for s in SETS])


def _rows(folder: Path, name: str) -> list[dict]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@each_set
def test_every_heldout_maker_is_labelled_once_at_its_zip(folder):
    makers = {r["name"]: r["zip"] for r in _rows(folder, "makers.csv")}
    labels = _rows(folder, "labels.csv")
    assert len(makers) == len(labels) == len(_rows(folder, "makers.csv"))
    assert {r["name"]: r["zip"] for r in labels} == makers


@each_set
def test_heldout_needs_are_defined_in_needs_md(folder):
    defined = set(re.findall(r"^- (\w+) — ", (HERE / "needs.md").read_text(encoding="utf-8"), re.M))
    used = {need for _, makes, could in _labels(folder / "labels.csv").values() for need in makes | could}
    used |= {need for row in _rows(folder, "requests.csv") for need in _wants(row["wants"])}
    assert used - defined == set()


@each_set
def test_heldout_requests_have_every_kind_in_both_halves(folder):
    rows = _rows(folder, "requests.csv")
    assert len({r["id"] for r in rows}) == len(rows)
    for half in ("dev", "test"):
        kinds = Counter(r["kind"] for r in rows if split_of(r["id"]) == half)
        assert set(kinds) == set(KINDS) and kinds["nobody"] >= 10


@each_set
def test_only_the_heldout_nobody_requests_are_unservable(folder):
    labels = _labels(folder / "labels.csv")
    for row in _rows(folder, "requests.csv"):
        relevant = _relevant(_wants(row["wants"]), row["zip"], labels)
        assert bool(relevant) == (row["kind"] != "nobody"), row


def test_halves_by_last_digit():
    assert [split_of(i) for i in ("h010", "h011", "h128", "h177")] == ["dev", "test", "dev", "test"]
