"""Matcher speed against brute force, at 10k, 100k and 1M capability phrases, in one run.

    python tests/benchmarks/bench_match.py                      # 10k, 100k, 1M, then `makerlink match -`
    python tests/benchmarks/bench_match.py --sizes 10000,100000 # smaller
    python tests/benchmarks/bench_match.py --cli-makers 0       # skip the end-to-end `makerlink match -` part
    python tests/benchmarks/bench_match.py --json               # one JSON object per size

Directories are built from real phrases of every trade: the 19,253 official NAICS 2012 index entries (US
Census, public domain) and the capability phrases of the demo directory (bot/data/demo_makers.csv: bakeries,
machine shops, print shops, sewing shops…), repeated with maker-style qualifiers ("custom …", "contract …")
to reach each size, spread over makers of five phrases each placed around Detroit. Requests are of two
kinds, timed separately: general ones (the 202 requests of tests/benchmarks/eval/general_requests.csv, for
bread, pallets, brackets, tees…) and PPE ones (the 393 distinct phrases facilities sent to findthemasks in
March 2020), each asked "near 48201" unless it names its own ZIP.

Each size runs in its own process so that peak memory (max RSS) belongs to that size alone. Reported:
- index build time (the fuzzy index alone), directory build time (tagging every phrase + index), and the
  same directory built from a SQLite database holding those makers (what `makerlink match` and every web
  process do at start), per 100,000 phrases, and against a baseline in the same run: the time to split every
  phrase into its stemmed words, the least any reading of them costs (the builds' seconds wander with the machine);
- p50/p95 ms per request for the full matcher (parse → taxonomy → index → rank), per kind of request,
  and for the fuzzy index;
- p50/p95 ms for brute force, `rapidfuzz.process.extract(query, phrases, scorer=WRatio, limit=10)`,
  on a sample of both kinds of queries (it is slow), and the speed ratio index : brute force in the same run;
- top-10 agreement of the fuzzy index with brute force, tie-aware: the share of brute force's top 10 whose
  score the index also reaches, at WRatio cutoffs 0 (everything, noise included) and 80 (matches
  worth showing; the matcher only uses fuzzy matches from 86 up).

Then, end to end: `makerlink match -` over a SQLite directory of 20,000 makers of 5 phrases each (--cli-makers):
the time to its first answer, and the average time per answer once loaded, over every request of both
kinds written to its stdin at once; beside it, the in-process matcher's average over the same requests in
the same run (the floor: what is left is JSON, pipes and the CLI).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parent / "data"
GENERAL_REQUESTS = Path(__file__).parent / "eval" / "general_requests.csv"
DEMO_MAKERS = ROOT / "bot" / "data" / "demo_makers.csv"
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


def _demo_phrases() -> list[str]:
    with DEMO_MAKERS.open(encoding="utf-8", newline="") as handle:
        phrases = [p.strip() for row in csv.DictReader(handle) for p in row["capabilities"].split(";")]
    return list(dict.fromkeys(p for p in phrases if p))


def build_phrases(size: int) -> list[str]:
    # Maker wording of every trade first, then the official index phrases; the two interleaved so that every
    # slice of the directory holds both.
    demo, naics = _demo_phrases(), _lines("naics_2012_index_phrases.txt")
    step = max(1, len(naics) // len(demo))
    base: list[str] = []
    for i, phrase in enumerate(naics):
        base.append(phrase)
        if i % step == 0 and i // step < len(demo):
            base.append(demo[i // step])
    out = []
    for i in range(size):
        variant, phrase = divmod(i, len(base))
        out.append(base[phrase] if variant == 0 else f"{QUALIFIERS[(variant - 1) % len(QUALIFIERS)]} {base[phrase]}")
    return out


def requests() -> dict[str, list[tuple[str, str]]]:
    """(text, ZIP) pairs by kind: general requests with their own ZIPs, PPE phrases near 48201."""
    with GENERAL_REQUESTS.open(encoding="utf-8", newline="") as handle:
        general = [(row["text"], row["zip"] or "48201") for row in csv.DictReader(handle)]
    return {"general": general, "ppe": [(q, "48201") for q in _lines("ftm_request_phrases.txt")]}


def _profiles(phrases: list[str], seed: int = 7) -> list:
    from matching.directory import MakerProfile

    rng = random.Random(seed)
    return [
        MakerProfile(
            id=n // 5 + 1,
            name=f"maker {n // 5 + 1}",
            capabilities=tuple(phrases[n : n + 5]),
            lat=42.33 + rng.uniform(-2.0, 2.0),
            lon=-83.05 + rng.uniform(-2.5, 2.5),
            zip="48201",
        )
        for n in range(0, len(phrases), 5)
    ]


def fill_database(url: str, makers: list) -> None:
    """Write makers to a fresh makerlink database in a few bulk statements (importing is not measured here)."""
    import sqlalchemy as sa

    from bot.db import Database
    from bot.models import Maker, MakerCapability

    db = Database(url)
    db.upgrade()
    now = datetime.now(UTC)
    maker_rows = [
        {
            "id": m.id, "name": m.name, "phone": f"+1313{m.id:07d}", "zip": m.zip, "lat": m.lat, "lon": m.lon,
            "language": "en", "status": "active", "alerts_opt_out": False, "created_at": now, "updated_at": now,
        }
        for m in makers
    ]  # fmt: skip
    capability_rows = [
        {"maker_id": m.id, "position": position, "phrase": phrase, "concepts": ""}
        for m in makers
        for position, phrase in enumerate(m.capabilities)
    ]
    with db.transaction() as session:
        for start in range(0, len(maker_rows), 50_000):
            session.execute(sa.insert(Maker.__table__), maker_rows[start : start + 50_000])
        for start in range(0, len(capability_rows), 50_000):
            session.execute(sa.insert(MakerCapability.__table__), capability_rows[start : start + 50_000])
    db.dispose()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _agreement(mine, brute) -> float | None:
    if not brute:
        return None
    tenth = brute[-1][1]
    return min(sum(1 for hit in mine if hit.score >= tenth - 1e-9), len(brute)) / len(brute)


def _timed(fn, *args, **kwargs) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def run_size(size: int, brute_queries: int, database: bool = True, database_builds: int = 1) -> dict:
    from rapidfuzz import fuzz, process
    from rapidfuzz.utils import default_process

    from bot.db import Database
    from bot.services.makers import active_directory
    from matching.directory import Directory
    from matching.index import PhraseIndex
    from matching.matcher import Matcher
    from matching.taxonomy import load_taxonomy
    from matching.text import tokens

    phrases = build_phrases(size)
    by_kind = requests()
    taxonomy = load_taxonomy()

    # A baseline in the same run for the builds, whose seconds wander with the machine: the least any reading of
    # the phrases costs, splitting each into its stemmed words (fastest of three).
    tokenize = min(_timed(lambda: [tokens(p) for p in phrases]) for _ in range(3)) / 1000

    start = time.perf_counter()
    index = PhraseIndex(phrases)
    index_build = time.perf_counter() - start
    del index

    makers = _profiles(phrases)
    start = time.perf_counter()
    directory = Directory(makers, taxonomy)
    directory_build = time.perf_counter() - start
    matcher = Matcher(directory)
    # Brute force scans the very strings the index holds, already processed as it would process them.
    processed = directory.index.processed

    for text, zip_code in by_kind["general"][:5] + by_kind["ppe"][:5]:  # warm caches the same way for both sides
        matcher.match(text, zip=zip_code)
    match_ms: dict[str, list[float]] = {}
    index_ms = []
    for kind, queries in by_kind.items():
        match_ms[kind] = [_timed(matcher.match, text, zip=zip_code) for text, zip_code in queries]
        index_ms += [_timed(directory.index.search, text, limit=10) for text, _ in queries]
    every = [text for queries in by_kind.values() for text, _ in queries]

    sample = every[:: max(1, len(every) // brute_queries)][:brute_queries]
    brute_ms, sampled_index_ms, sampled_match_ms, agree0, agree80 = [], [], [], [], []
    for query in sample:
        processed_query = default_process(query)
        start = time.perf_counter()
        brute = process.extract(processed_query, processed, scorer=fuzz.WRatio, processor=None, limit=10)
        brute_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        mine = directory.index.search(query, limit=10)
        sampled_index_ms.append((time.perf_counter() - start) * 1000)
        sampled_match_ms.append(_timed(matcher.match, query, zip="48201"))
        a0 = _agreement(mine, brute)
        if a0 is not None:
            agree0.append(a0)
        brute80 = [b for b in brute if b[1] >= 80]
        a80 = _agreement([h for h in mine if h.score >= 80], brute80)
        if a80 is not None:
            agree80.append(a80)

    # Peak memory of the matching part alone; the database part below holds a second copy for a moment.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    vocabulary = directory.index.vocabulary_size
    del matcher, directory, processed
    database_builds_s: list[float] = []
    if database:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            fill_database(url, makers)
            db = Database(url)
            for _ in range(database_builds):  # timings on a shared machine wander: the fastest of a few is the code's
                start = time.perf_counter()
                from_database = active_directory(db, taxonomy)
                database_builds_s.append(time.perf_counter() - start)
                assert len(from_database.capabilities) == len(phrases)
                del from_database
            db.dispose()
    database_build = min(database_builds_s) if database_builds_s else None

    every_match_ms = [ms for values in match_ms.values() for ms in values]
    per_100k = 100_000 / size
    return {
        "phrases": size,
        "makers": len(makers),
        "vocabulary": vocabulary,
        "index_build_s": round(index_build, 2),
        "directory_build_s": round(directory_build, 2),
        "directory_build_s_per_100k": round(directory_build * per_100k, 2),
        "database_build_s": round(database_build, 2) if database_build is not None else None,
        "database_build_s_per_100k": round(database_build * per_100k, 2) if database_build is not None else None,
        "tokenize_s": round(tokenize, 2),
        "database_build_vs_tokenize": round(database_build / tokenize, 1) if database_build is not None else None,
        "database_builds": len(database_builds_s),
        "database_first_build_s": round(database_builds_s[0], 2) if database_builds_s else None,
        **{
            f"match_{kind}_{name}_ms": round(value, 2)
            for kind, values in match_ms.items()
            for name, value in (("p50", statistics.median(values)), ("p95", _percentile(values, 0.95)))
        },
        "match_p50_ms": round(statistics.median(every_match_ms), 2),
        "match_p95_ms": round(_percentile(every_match_ms, 0.95), 2),
        "index_p50_ms": round(statistics.median(index_ms), 2),
        "index_p95_ms": round(_percentile(index_ms, 0.95), 2),
        "brute_queries": len(sample),
        "brute_p50_ms": round(statistics.median(brute_ms), 1),
        "brute_p95_ms": round(_percentile(brute_ms, 0.95), 1),
        "speedup_index_vs_brute_p50": round(statistics.median(brute_ms) / statistics.median(sampled_index_ms), 1),
        "speedup_match_vs_brute_p50": round(statistics.median(brute_ms) / statistics.median(sampled_match_ms), 1),
        "agreement_top10_cutoff0": round(statistics.mean(agree0), 4) if agree0 else None,
        "agreement_top10_cutoff80": round(statistics.mean(agree80), 4) if agree80 else None,
        "agreement_queries_cutoff80": len(agree80),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }


def run_cli(makers_count: int) -> dict:
    """`makerlink match -` end to end over a SQLite directory, beside the in-process matcher in the same run."""
    from bot.db import Database
    from bot.services.makers import active_directory
    from matching.matcher import Matcher

    makers = _profiles(build_phrases(makers_count * 5))
    lines = [text.replace("\n", " ") for queries in requests().values() for text, _ in queries]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        fill_database(url, makers)
        matcher = Matcher(active_directory(Database(url)))
        for line in lines[:10]:
            matcher.match(line, zip="48201")
        in_process = statistics.mean(_timed(matcher.match, line, zip="48201") for line in lines)
        del matcher
        env = {**os.environ, "MAKERLINK_DATABASE_URL": url}  # click.echo flushes every answer
        command = [sys.executable, "-m", "bot", "match", "-", "--zip", "48201"]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("bread, 40 loaves\n")
        child.stdin.flush()
        child.stdout.readline()
        first_answer = time.perf_counter() - started

        def feed() -> None:
            assert child.stdin is not None
            child.stdin.write("".join(f"{line}\n" for line in lines))
            child.stdin.close()

        started = time.perf_counter()
        writer = threading.Thread(target=feed)
        writer.start()
        answers = sum(1 for _ in child.stdout)
        loaded = time.perf_counter() - started
        writer.join()
        child.wait()
    assert answers == len(lines), (answers, len(lines))
    return {
        "cli_makers": makers_count,
        "cli_phrases": makers_count * 5,
        "cli_first_answer_s": round(first_answer, 2),
        "cli_requests": len(lines),
        "cli_avg_ms": round(loaded * 1000 / len(lines), 2),
        "in_process_avg_ms": round(in_process, 2),
    }


def _child(size: int, brute_queries: int, database: bool, builds: int, queue) -> None:
    queue.put(run_size(size, brute_queries, database, builds))


def _cli_child(makers: int, queue) -> None:
    queue.put(run_cli(makers))


def _in_child(context, target, *args) -> dict:
    queue = context.Queue()
    child = context.Process(target=target, args=(*args, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def _print_size(r: dict) -> None:
    database = (
        f", from a SQLite database {r['database_build_s']} s ({r['database_build_s_per_100k']} s per 100k phrases; "
        f"fastest of {r['database_builds']}, the first {r['database_first_build_s']} s; "
        f"{r['database_build_vs_tokenize']}x the baseline of tokenizing every phrase, {r['tokenize_s']} s)"
        if r["database_build_s"] is not None
        else ""
    )
    print(
        f"{r['phrases']:>9,} phrases ({r['makers']:,} makers, {r['vocabulary']:,} words): "
        f"index build {r['index_build_s']} s, directory build {r['directory_build_s']} s{database}, "
        f"peak RSS {r['peak_rss_mb']} MB\n"
        f"    matcher  p50 {r['match_p50_ms']} ms  p95 {r['match_p95_ms']} ms   general requests p50 "
        f"{r['match_general_p50_ms']} / p95 {r['match_general_p95_ms']} ms, PPE p50 {r['match_ppe_p50_ms']} / p95 "
        f"{r['match_ppe_p95_ms']} ms\n"
        f"    index    p50 {r['index_p50_ms']} ms  p95 {r['index_p95_ms']} ms\n"
        f"    brute    p50 {r['brute_p50_ms']} ms  p95 {r['brute_p95_ms']} ms  ({r['brute_queries']} queries)\n"
        f"    speed-up index {r['speedup_index_vs_brute_p50']}x, full matcher "
        f"{r['speedup_match_vs_brute_p50']}x brute force (p50)\n"
        f"    top-10 agreement with brute force: {r['agreement_top10_cutoff80']} at WRatio ≥ 80 "
        f"({r['agreement_queries_cutoff80']} queries), {r['agreement_top10_cutoff0']} with no cutoff",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--brute-queries", type=int, default=0, help="brute-force sample (default scales with size)")
    parser.add_argument("--no-database", action="store_true", help="skip building each directory from SQLite")
    parser.add_argument(
        "--database-builds", type=int, default=3, help="builds from SQLite per size, the fastest reported (1 at 1M)"
    )
    parser.add_argument("--cli-makers", type=int, default=20_000, help="makers for `makerlink match -` (0: skip)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        brute_queries = args.brute_queries or (100 if size <= 10_000 else 60 if size <= 100_000 else 25)
        builds = 1 if size >= 1_000_000 else max(1, args.database_builds)  # a 1M build takes half a minute
        result = _in_child(context, _child, size, brute_queries, not args.no_database, builds)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            _print_size(result)
    if args.cli_makers:
        r = _in_child(context, _cli_child, args.cli_makers)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(
                f"makerlink match - over {r['cli_makers']:,} makers ({r['cli_phrases']:,} phrases) in SQLite: first "
                f"answer after {r['cli_first_answer_s']} s, then {r['cli_avg_ms']} ms per request on average over "
                f"{r['cli_requests']} requests (the matcher alone in the same run: {r['in_process_avg_ms']} ms)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
