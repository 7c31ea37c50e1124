"""Match quality on the labelled evaluation set stays at or above the targets (see tests/benchmarks/eval_match.py)."""

from __future__ import annotations

from tests.benchmarks.eval_match import evaluate, summarize


def test_quality_targets():
    summary = summarize(evaluate())
    assert summary["servable"] >= 100 and summary["unservable"] >= 40
    assert summary["ndcg_at_5"] >= 0.85
    assert summary["precision_at_1"] >= 0.90
    assert summary["false_match_rate"] <= 0.10
