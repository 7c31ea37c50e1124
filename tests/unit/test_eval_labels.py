"""The eval's hand-written labels stay consistent with the demo directory and with each other."""

from __future__ import annotations

import csv
import re
from collections import Counter

from tests.benchmarks.eval_match import HERE, KINDS, Outcome, _labels, _relevant, _wants, summarize_by_kind
from tests.conftest import DEMO_MAKERS, demo_csv


def _rows(name: str) -> list[dict]:
    with open(HERE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_demo_maker_is_labelled_once_at_its_zip():
    makers = {r["name"]: r["zip"] for r in csv.DictReader(demo_csv().decode("utf-8").splitlines())}
    labels = _rows("maker_labels.csv")
    assert len(makers) == DEMO_MAKERS == len(labels)
    assert {r["name"]: r["zip"] for r in labels} == makers


def test_every_need_is_defined_in_needs_md():
    defined = set(re.findall(r"^- (\w+) — ", (HERE / "needs.md").read_text(encoding="utf-8"), re.M))
    used = {need for _, makes, could in _labels().values() for need in makes | could}
    for name in ("requests.csv", "general_requests.csv"):
        used |= {need for row in _rows(name) for need in _wants(row["wants"])}
    assert used - defined == set()


def test_the_general_set_has_every_kind():
    rows = _rows("general_requests.csv")
    assert len(rows) >= 150 and len({r["id"] for r in rows}) == len(rows)
    kinds = Counter(r["kind"] for r in rows)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 12 and kinds["nobody"] >= 20
    assert all(r["text"].strip() and r["zip"] and r["source"] for r in rows)


def test_only_the_nobody_requests_are_unservable():
    labels = _labels()
    for row in _rows("general_requests.csv"):
        relevant = _relevant(_wants(row["wants"]), row["zip"], labels)
        assert bool(relevant) == (row["kind"] != "nobody"), row
        assert row["kind"] == "nobody" or 2 in relevant.values(), row  # someone nearby lists it


def test_wants_read_both_separators():
    assert _wants("bread;pastry") == _wants("bread pastry") == _wants(" bread ; pastry ") == {"bread", "pastry"}
    assert _wants("") == set()


def test_figures_per_kind():
    outcomes = [
        Outcome("1", "bread", "48201", {"A": 2, "B": 1}, ["A", "B"], kind="exact"),
        Outcome("2", "bred", "48201", {"A": 2}, ["C", "A"], kind="typo"),
        Outcome("3", "yacht", "48201", {}, ["C"], kind="nobody"),
        Outcome("4", "tablets", "48201", {}, [], kind="nobody"),
    ]
    by_kind = summarize_by_kind(outcomes)
    assert list(by_kind) == ["exact", "typo", "nobody"]
    assert by_kind["exact"] == {
        "requests": 1,
        "servable": 1,
        "unservable": 0,
        "ndcg_at_5": 1.0,
        "precision_at_1": 1.0,
        "false_match_rate": None,
    }
    assert by_kind["typo"]["precision_at_1"] == 0.0 and 0 < by_kind["typo"]["ndcg_at_5"] < 1
    assert by_kind["nobody"]["false_match_rate"] == 0.5 and by_kind["nobody"]["ndcg_at_5"] is None
