"""Matcher speed against brute force, at 10k, 100k and 1M capability phrases, in one run.

    python tests/benchmarks/bench_match.py                      # 10k, 100k, 1M (about 10 minutes on 2 cores)
    python tests/benchmarks/bench_match.py --sizes 10000,100000 # smaller
    python tests/benchmarks/bench_match.py --json               # one JSON object per size

Directories are built from real phrases: the 19,253 official NAICS 2012 index entries (US Census, public
domain), repeated with maker-style qualifiers ("custom …", "contract …") to reach each size, spread over
makers of five phrases each placed around Detroit. Requests are the 393 distinct phrases facilities sent to
findthemasks in March 2020, each asked "near 48201".

Each size runs in its own process so that peak memory (max RSS) belongs to that size alone. Reported:
- index build time (the fuzzy index alone) and directory build time (tagging every phrase + index);
- p50/p95 ms per request for the full matcher (parse → taxonomy → index → rank) and for the fuzzy index;
- p50/p95 ms for brute force, `rapidfuzz.process.extract(query, phrases, scorer=WRatio, limit=10)`,
  on a sample of the queries (it is slow), and the speed ratio index : brute force in the same run;
- top-10 agreement of the fuzzy index with brute force, tie-aware: the share of brute force's top 10 whose
  score the index also reaches, at WRatio cutoffs 0 (everything, noise included) and 80 (matches
  worth showing; the matcher only uses fuzzy matches from 86 up).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
QUALIFIERS = [
    "custom", "contract", "small batch", "industrial", "medical grade", "precision", "prototype", "local",
    "high volume", "certified", "food grade", "stainless", "recycled", "wholesale", "commercial", "mobile",
    "short run", "rapid", "on demand", "domestic", "licensed", "specialty", "bulk", "heavy duty", "light duty",
    "automated", "hand finished", "family owned", "union", "veteran owned", "women owned", "minority owned",
    "certified green", "low cost", "premium", "overnight", "export", "regional", "national", "emergency",
    "repair and", "design and", "engineering and", "assembly and", "testing and", "packaging and", "clean room",
    "iso certified", "fda registered", "military spec", "aerospace grade", "automotive grade",
]  # fmt: skip


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def build_phrases(size: int) -> list[str]:
    base = _lines("naics_2012_index_phrases.txt")
    out = []
    for i in range(size):
        variant, phrase = divmod(i, len(base))
        out.append(base[phrase] if variant == 0 else f"{QUALIFIERS[(variant - 1) % len(QUALIFIERS)]} {base[phrase]}")
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _agreement(mine, brute) -> float | None:
    if not brute:
        return None
    tenth = brute[-1][1]
    return min(sum(1 for hit in mine if hit.score >= tenth - 1e-9), len(brute)) / len(brute)


def run_size(size: int, brute_queries: int, seed: int = 7) -> dict:
    from rapidfuzz import fuzz, process
    from rapidfuzz.utils import default_process

    from matching.directory import Directory, MakerProfile
    from matching.index import PhraseIndex
    from matching.matcher import Matcher
    from matching.taxonomy import load_taxonomy

    rng = random.Random(seed)
    phrases = build_phrases(size)
    queries = _lines("ftm_request_phrases.txt")
    taxonomy = load_taxonomy()

    start = time.perf_counter()
    index = PhraseIndex(phrases)
    index_build = time.perf_counter() - start
    del index

    makers = []
    for n in range(0, size, 5):
        makers.append(
            MakerProfile(
                id=n // 5,
                name=f"maker {n // 5}",
                capabilities=tuple(phrases[n : n + 5]),
                lat=42.33 + rng.uniform(-2.0, 2.0),
                lon=-83.05 + rng.uniform(-2.5, 2.5),
            )
        )
    start = time.perf_counter()
    directory = Directory(makers, taxonomy)
    directory_build = time.perf_counter() - start
    matcher = Matcher(directory)
    # Brute force scans the very strings the index holds, already processed as it would process them.
    processed = directory.index.processed

    for query in queries[:5]:  # warm caches the same way for both sides
        matcher.match(query, zip="48201")
    match_ms, index_ms = [], []
    for query in queries:
        start = time.perf_counter()
        matcher.match(query, zip="48201")
        match_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        directory.index.search(query, limit=10)
        index_ms.append((time.perf_counter() - start) * 1000)

    sample = queries[:: max(1, len(queries) // brute_queries)][:brute_queries]
    brute_ms, sampled_index_ms, agree0, agree80 = [], [], [], []
    for query in sample:
        processed_query = default_process(query)
        start = time.perf_counter()
        brute = process.extract(processed_query, processed, scorer=fuzz.WRatio, processor=None, limit=10)
        brute_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        mine = directory.index.search(query, limit=10)
        sampled_index_ms.append((time.perf_counter() - start) * 1000)
        a0 = _agreement(mine, brute)
        if a0 is not None:
            agree0.append(a0)
        brute80 = [b for b in brute if b[1] >= 80]
        a80 = _agreement([h for h in mine if h.score >= 80], brute80)
        if a80 is not None:
            agree80.append(a80)

    return {
        "phrases": size,
        "makers": len(makers),
        "vocabulary": directory.index.vocabulary_size,
        "index_build_s": round(index_build, 2),
        "directory_build_s": round(directory_build, 2),
        "match_p50_ms": round(statistics.median(match_ms), 2),
        "match_p95_ms": round(_percentile(match_ms, 0.95), 2),
        "index_p50_ms": round(statistics.median(index_ms), 2),
        "index_p95_ms": round(_percentile(index_ms, 0.95), 2),
        "brute_queries": len(sample),
        "brute_p50_ms": round(statistics.median(brute_ms), 1),
        "brute_p95_ms": round(_percentile(brute_ms, 0.95), 1),
        "speedup_index_vs_brute_p50": round(statistics.median(brute_ms) / statistics.median(sampled_index_ms), 1),
        "speedup_match_vs_brute_p50": round(statistics.median(brute_ms) / statistics.median(match_ms), 1),
        "agreement_top10_cutoff0": round(statistics.mean(agree0), 4) if agree0 else None,
        "agreement_top10_cutoff80": round(statistics.mean(agree80), 4) if agree80 else None,
        "agreement_queries_cutoff80": len(agree80),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _child(size: int, brute_queries: int, queue) -> None:
    queue.put(run_size(size, brute_queries))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--brute-queries", type=int, default=0, help="brute-force sample (default scales with size)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    results = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        brute_queries = args.brute_queries or (100 if size <= 10_000 else 60 if size <= 100_000 else 25)
        queue = context.Queue()
        child = context.Process(target=_child, args=(size, brute_queries, queue))
        child.start()
        result = queue.get()
        child.join()
        results.append(result)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            r = result
            print(
                f"{r['phrases']:>9,} phrases ({r['makers']:,} makers, {r['vocabulary']:,} words): "
                f"index build {r['index_build_s']} s, directory build {r['directory_build_s']} s, "
                f"peak RSS {r['peak_rss_mb']} MB\n"
                f"    matcher  p50 {r['match_p50_ms']} ms  p95 {r['match_p95_ms']} ms\n"
                f"    index    p50 {r['index_p50_ms']} ms  p95 {r['index_p95_ms']} ms\n"
                f"    brute    p50 {r['brute_p50_ms']} ms  p95 {r['brute_p95_ms']} ms  ({r['brute_queries']} queries)\n"
                f"    speed-up index {r['speedup_index_vs_brute_p50']}x, full matcher "
                f"{r['speedup_match_vs_brute_p50']}x brute force (p50)\n"
                f"    top-10 agreement with brute force: {r['agreement_top10_cutoff80']} at WRatio ≥ 80 "
                f"({r['agreement_queries_cutoff80']} queries), {r['agreement_top10_cutoff0']} with no cutoff",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
