"""The held-out set's files stay consistent: its directory, its labels, its requests and the need ids."""

from __future__ import annotations

import csv
import re
from collections import Counter

from tests.benchmarks.eval_match import HELDOUT, HERE, KINDS, _labels, _relevant, _wants, split_of


def _rows(name: str) -> list[dict]:
    with open(HELDOUT / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_heldout_maker_is_labelled_once_at_its_zip():
    makers = {r["name"]: r["zip"] for r in _rows("makers.csv")}
    labels = _rows("labels.csv")
    assert len(makers) == len(labels) == len(_rows("makers.csv"))
    assert {r["name"]: r["zip"] for r in labels} == makers


def test_heldout_needs_are_defined_in_needs_md():
    defined = set(re.findall(r"^- (\w+) — ", (HERE / "needs.md").read_text(encoding="utf-8"), re.M))
    used = {need for _, makes, could in _labels(HELDOUT / "labels.csv").values() for need in makes | could}
    used |= {need for row in _rows("requests.csv") for need in _wants(row["wants"])}
    assert used - defined == set()


def test_heldout_requests_have_every_kind_in_both_halves():
    rows = _rows("requests.csv")
    assert len({r["id"] for r in rows}) == len(rows)
    for half in ("dev", "test"):
        kinds = Counter(r["kind"] for r in rows if split_of(r["id"]) == half)
        assert set(kinds) == set(KINDS) and kinds["nobody"] >= 10


def test_only_the_heldout_nobody_requests_are_unservable():
    labels = _labels(HELDOUT / "labels.csv")
    for row in _rows("requests.csv"):
        relevant = _relevant(_wants(row["wants"]), row["zip"], labels)
        assert bool(relevant) == (row["kind"] != "nobody"), row
        assert row["kind"] == "nobody" or 2 in relevant.values(), row


def test_halves_by_last_digit():
    assert [split_of(i) for i in ("h010", "h011", "h128", "h177")] == ["dev", "test", "dev", "test"]
