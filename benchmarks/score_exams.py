"""Scores exam-question extraction against hand-checked ground truth.

    python benchmarks/score_exams.py [--corpus ../shared/corpus/dev] [--only NAME] [--verbose]

A question is fully right when its number, option count and answer (including annulled and
multi-answer cases) match, its stem starts and ends with the ground truth's text (similarity >= 0.9
after whitespace normalisation), every option's text has similarity >= 0.9, and its image count
matches (the corpus README's rule). Apart from that, an item set's shared context (the case printed
before its questions) is right when it starts and ends like the ground truth's shared_context.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corpus import key_files, norm, truth_files
from corpus import similarity as sim
from extractors.exam import extract_exam


def _answer(a):
    return sorted(a) if isinstance(a, list) else a


def check(gold: dict, got) -> dict[str, bool]:
    stem = norm(got.stem)
    start, end = norm(gold.get("stem_start", "")), norm(gold.get("stem_end", ""))
    gold_opts = gold.get("options", {})
    got_opts = dict(got.options)
    return {
        "options_count": len(got.options) == len(gold_opts),
        "answer": _answer(got.answer) == _answer(gold.get("answer")),
        "stem": sim(stem[:len(start)], start) >= 0.9 and sim(stem[-len(end):] if end else "", end) >= 0.9,
        "options_text": len(got_opts) == len(gold_opts) and all(sim(got_opts.get(k, ""), v) >= 0.9
                                                                for k, v in gold_opts.items()),
        "images": len(got.images) == gold.get("images", 0),
    }


def score_file(truth_path: Path, verbose: bool = False) -> dict:
    truth = json.loads(truth_path.read_text("utf-8"))
    folder = truth_path.parent
    keys = key_files(truth, folder)
    t0 = time.perf_counter()
    result = extract_exam(folder / truth["file"], keys=keys)
    seconds = time.perf_counter() - t0
    by_number = {q.number: q for q in result.questions}
    first, last = truth.get("fully_annotated") or (None, None)
    counts = {k: 0 for k in ("found", "options_count", "answer", "stem", "options_text", "images", "fully")}
    gold_qs = [q for q in truth["questions"] if first is None or first <= q["number"] <= last]
    for g in gold_qs:
        got = by_number.get(g["number"])
        if got is None:
            if verbose:
                print(f"   MISSING q{g['number']}")
            continue
        counts["found"] += 1
        checks = check(g, got)
        for k, ok in checks.items():
            counts[k] += ok
        if all(checks.values()):
            counts["fully"] += 1
        elif verbose:
            bad = [k for k, ok in checks.items() if not ok]
            print(f"   q{g['number']} wrong: {bad}")
            if "stem" in bad:
                print(f"      stem gold: {g.get('stem_start')!r} ... {g.get('stem_end')!r}")
                print(f"      stem ours: {norm(got.stem)[:60]!r} ... {norm(got.stem)[-40:]!r}")
            if "options_text" in bad or "options_count" in bad:
                print(f"      gold: {g.get('options')}")
                print(f"      ours: {dict(got.options)}")
            if "answer" in bad:
                print(f"      answer gold {g.get('answer')!r} ours {got.answer!r}")
            if "images" in bad:
                print(f"      images gold {g.get('images')} ours {len(got.images)} {got.images}")
    contexts = [(g, by_number.get(g["number"])) for g in gold_qs if g.get("shared_context_start")]
    context_right = sum(got is not None and _same_ends(norm(got.shared_context), norm(g["shared_context_start"]),
                                                       norm(g.get("shared_context_end", "")))
                        for g, got in contexts)
    extra = sorted(set(by_number) - {q["number"] for q in truth["questions"]})
    return {"file": truth["file"], "n": len(gold_qs), "extra": extra, "seconds": seconds,
            "pages": result.page_count, "contexts": len(contexts), "context_right": context_right, **counts}


def _same_ends(text: str, start: str, end: str) -> bool:
    return sim(text[:len(start)], start) >= 0.9 and (not end or sim(text[-len(end):], end) >= 0.9)


def main(argv=None) -> int:
    args, files = truth_files(__doc__.splitlines()[0], ".questions.json", argv)
    if not files:
        return 2
    cols = ("found", "options_count", "answer", "stem", "options_text", "images", "fully")
    print(f"{'booklet':44} {'n':>4} " + " ".join(f"{c[:7]:>7}" for c in cols) + f" {'extra':>5} {'s':>5}")
    total = {c: 0 for c in cols}
    n_total = 0
    rows = []
    for f in files:
        row = score_file(f, args.verbose)
        rows.append(row)
        n = row["n"] or 1
        print(f"{row['file'][:44]:44} {row['n']:4d} " + " ".join(f"{row[c] / n:7.3f}" for c in cols)
              + f" {len(row['extra']):5d} {row['seconds']:5.1f}")
        for c in cols:
            total[c] += row[c]
        n_total += row["n"]
    print("overall: " + ", ".join(f"{c} {total[c] / max(1, n_total):.3f}" for c in cols) + f" (n={n_total})")
    contexts = sum(r["contexts"] for r in rows)
    context_right = sum(r["context_right"] for r in rows)
    print(f"item sets' shared context right = {context_right / max(1, contexts):.3f} ({context_right}/{contexts})")
    print(f"overall questions fully right = {total['fully'] / max(1, n_total):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
