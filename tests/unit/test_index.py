"""The fuzzy phrase index agrees with brute-force WRatio without scanning every phrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from matching.index import PhraseIndex

DATA = Path(__file__).parents[1] / "benchmarks" / "data"


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def phrases() -> list[str]:
    return _lines("naics_2012_index_phrases.txt")[:6000]


@pytest.fixture(scope="module")
def index(phrases) -> PhraseIndex:
    return PhraseIndex(phrases)


def test_agrees_with_brute_force(index, phrases):
    processed = [default_process(p) for p in phrases]
    queries = _lines("ftm_request_phrases.txt")[:80]
    agreements = []
    for query in queries:
        brute = process.extract(
            default_process(query), processed, scorer=fuzz.WRatio, processor=None, limit=10, score_cutoff=80
        )
        if not brute:
            continue
        tenth = brute[-1][1]
        mine = index.search(query, limit=10, score_cutoff=80)
        agreements.append(sum(1 for hit in mine if hit.score >= tenth) / len(brute))
    assert len(agreements) >= 20
    assert sum(agreements) / len(agreements) >= 0.95


def test_scores_are_wratio_scores(index, phrases):
    for hit in index.search("machine shops", limit=5):
        expected = fuzz.WRatio("machine shops", phrases[hit.phrase_id], processor=default_process)
        assert hit.score == pytest.approx(expected)


def test_typos_and_plurals_find_the_phrase():
    index = PhraseIndex(["isolation gowns", "machine shop", "distillery", "sourdough bakery"])
    assert index.search("isolaton gown", limit=1)[0].phrase_id == 0
    assert index.search("machine shops", limit=1)[0].phrase_id == 1
    assert index.search("distilleries", limit=1)[0].phrase_id == 2


def test_sorted_limited_and_cut_off(index):
    hits = index.search("plastics", limit=7)
    assert len(hits) == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score >= 90 for h in index.search("plastics", limit=50, score_cutoff=90))


@pytest.mark.parametrize("query", ["", "   ", "🙂", "!!!", "zzzzqqqq"])
def test_nothing_to_find(index, query):
    assert index.search(query, score_cutoff=80) == []


def test_empty_index():
    assert PhraseIndex([]).search("gowns") == []


def test_phrases_added_and_removed_after_the_build_are_found_and_left_out():
    index = PhraseIndex(["isolation gowns", "face shields", "cloth masks"])
    added = index.add(["custom sourdough bread", "face shield visors"])
    assert added == [3, 4]
    assert {hit.phrase_id for hit in index.search("sourdough", limit=5, score_cutoff=80)} == {3}
    index.remove([1])
    found = {hit.phrase_id for hit in index.search("face shields", limit=5, score_cutoff=60)}
    assert 1 not in found and 4 in found
    assert index.removed == 1
