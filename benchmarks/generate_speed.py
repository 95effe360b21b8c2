"""End to end on the dev corpus (extract, tag, generate, qc), then LLM generation throughput.

    python benchmarks/generate_speed.py [--corpus ../shared/corpus/dev] [--figures 12] [--concurrency 4]
                                        [--llm-url URL --llm-model NAME]

First every dev document goes through the real stages with the template generator: items per type,
QC flags per check and the answer-letter distribution are printed. Then the LLM generator runs on
the smallest books that together hold at least --figures pictures, against the given endpoint or,
by default, a local llama.cpp server started with scripts/llm-server.sh (SmolLM2-135M from PyPI):
items/s with concurrency 1, with concurrency N (fresh cache each), and a rerun served from the cache.
Declined questions are kept (flagged) here, so that every answer counts as an item.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from builder.generation import LLM_CACHE, generate_workspace, open_llm, qc_report
from builder.llm import LLMConfig
from builder.pipeline import ExtractOptions, extract_one
from builder.tagging import tag_workspace
from builder.workspace import Workspace

from corpus import DEFAULT_CORPUS, answer_keys

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "llm-server.sh"


def extract_corpus(ws: Workspace, corpus: Path) -> None:
    """Every PDF of the corpus; an exam booklet with the key files its ground truth names."""
    keys_of = answer_keys(corpus)
    key_files = {k.name for ks in keys_of.values() for k in ks}
    for pdf in sorted(corpus.glob("*.pdf")):
        if pdf.name in key_files:
            continue
        result = extract_one(ws, pdf, ExtractOptions(ocr="never", keys=keys_of.get(pdf.name, [])))
        if result.status == "failed":
            print(f"  extract failed: {pdf.name}: {result.error}", file=sys.stderr)


def print_report(report: dict) -> None:
    print(f"items: {report['items']} (dropped at generation: {report['dropped_at_generation']})")
    for qtype, n in sorted(report["by_type"].items()):
        print(f"  {qtype:26} {n:5d}")
    print("QC flags per check: " + (", ".join(f"{k} {v}" for k, v in sorted(report["flags"].items())) or "none"))
    for n, info in report["letter_balance"].items():
        print(f"letters ({n} options, {info['items']} items): "
              + ", ".join(f"{k} {v:.1%}" for k, v in info["shares"].items())
              + (f"  over 30%: {info['over_limit']}" if info["over_limit"] else ""))


def small_books(ws: Workspace, figures: int) -> set[str]:
    counts = Counter(f.source_sha256 for f in ws.records("figure") if f.kind != "table" and f.image)
    chosen, total = set(), 0
    for sha, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0])):
        if total >= figures:
            break
        chosen.add(sha)
        total += n
    return chosen


def timed_llm_run(ws: Workspace, config: LLMConfig, concurrency: int, fresh: bool) -> dict:
    if fresh:
        shutil.rmtree(ws.path(LLM_CACHE), ignore_errors=True)
    config.concurrency = concurrency
    llm = open_llm(ws, config)
    started = time.perf_counter()
    # declined questions kept (flagged): a small test model declines most, and every answer is work done
    results = generate_workspace(ws, 4, 0, None, True, "llm", llm, declined="flag")
    seconds = time.perf_counter() - started
    items = sum(r.items for r in results)
    jobs = sum(r.items + r.dropped + r.rejected for r in results)  # declined ones are kept (flagged) here
    usage = llm.report()
    return {"seconds": seconds, "items": items, "jobs": jobs, "usage": usage,
            "items_per_s": items / seconds, "jobs_per_s": jobs / seconds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--figures", type=int, default=12, help="pictures for the LLM runs (smallest books first)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--llm-url")
    ap.add_argument("--llm-model", default="smollm2")
    args = ap.parse_args(argv)
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "all")
        t0 = time.perf_counter()
        extract_corpus(ws, args.corpus)
        tag_workspace(ws)
        generate_workspace(ws)
        report = qc_report(ws)
        print(f"== template generator, whole dev corpus ({len(ws.sources())} documents, "
              f"{time.perf_counter() - t0:.1f} s extract+tag+generate+qc)")
        print_report(report)

        url = args.llm_url
        if not url:
            subprocess.run(["bash", str(SCRIPT), "install"], check=True)
            env = {**os.environ, "LLM_DATA": str(Path(tmp) / "llm-server"), "LLM_ALIAS": args.llm_model}
            port = "8097"
            url = subprocess.run(["bash", str(SCRIPT), "start", port], env=env, check=True, capture_output=True,
                                 text=True).stdout.strip()
            server = (env, port)
        try:
            chosen = small_books(ws, args.figures)
            sub = Workspace.open(Path(tmp) / "llm")
            for sha in chosen:
                src = ws.source(sha)
                extract_one(sub, args.corpus / src.filename, ExtractOptions(ocr="never"))
            tag_workspace(sub)
            pictures = sum(1 for f in sub.records("figure") if f.kind != "table" and f.image)
            config = LLMConfig(url, args.llm_model)
            print(f"\n== LLM generator ({args.llm_model} at {url}), {pictures} pictures in {len(chosen)} documents, "
                  f"5 question types each")
            runs = [("concurrency 1", timed_llm_run(sub, config, 1, True)),
                    (f"concurrency {args.concurrency}", timed_llm_run(sub, config, args.concurrency, True)),
                    (f"rerun from cache (concurrency {args.concurrency})", timed_llm_run(sub, config, args.concurrency, False))]
            base = runs[0][1]["items_per_s"] or 1e-9
            print(f"{'run':38} {'s':>7} {'requests':>9} {'cached':>7} {'tokens':>8} {'jobs/s':>7} {'items':>6} "
                  f"{'items/s':>8} {'ratio':>7}")
            for name, r in runs:
                u = r["usage"]
                print(f"{name:38} {r['seconds']:7.1f} {u['requests']:9d} {u['cached']:7d} "
                      f"{u['prompt_tokens'] + u['completion_tokens']:8d} {r['jobs_per_s']:7.2f} {r['items']:6d} "
                      f"{r['items_per_s']:8.2f} {r['items_per_s'] / base:7.2f}")
            u = runs[0][1]["usage"]
            print(f"first run: {u['rejected_jobs']} jobs rejected, {u['invalid_answers']} invalid answers, "
                  f"{u['transport_retries']} transport retries, mode {u['mode']}")
            sub_report = qc_report(sub)
            print_report(sub_report)
        finally:
            if server:
                subprocess.run(["bash", str(SCRIPT), "stop", server[1]], env=server[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
