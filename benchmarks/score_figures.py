"""Scores figure/table extraction against hand-checked ground truth.

    python benchmarks/score_figures.py [--corpus ../shared/corpus/dev] [--only NAME] [--verbose]

A figure counts when kind and label number match, the page matches, and the figure boxes overlap
with IoU >= 0.5 (the corpus README's rule). Precision counts extracted figures on annotated pages;
recall counts ground-truth entries. Caption similarity is the normalised edit-distance ratio of
whitespace-normalised text; citing-page recall is over the ground truth's cited_on_pages; the panel
count is right when the labels found (one panel where none are) number the ground truth's panels.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corpus import similarity, truth_files
from extractors.book import extract_book
from extractors.geometry import iou
from extractors.labels import label_at_start, normalise_number

def truth_key(entry: dict) -> tuple[str, str]:
    label = label_at_start(entry.get("printed_label") or entry["id"])
    number = label.number if label else normalise_number(entry["id"].split()[-1])
    return entry["kind"], number


def score_file(truth_path: Path, verbose: bool = False) -> dict:
    truth = json.loads(truth_path.read_text("utf-8"))
    pdf = truth_path.parent / truth["file"]
    t0 = time.perf_counter()
    result = extract_book(pdf)
    seconds = time.perf_counter() - t0
    annotated = truth.get("annotated_pages")
    extracted = [f for f in result.figures
                 if not annotated or annotated[0] <= f.page <= annotated[1]]
    gold = truth["figures"]
    used: set[int] = set()
    matches = []
    for gi, g in enumerate(gold):
        gk = truth_key(g)
        best = None
        for ei, e in enumerate(extracted):
            if ei in used or (e.kind, e.number) != gk or e.page != g["page"]:
                continue
            overlap = iou(tuple(e.figure_bbox), tuple(g["figure_bbox"]))
            if overlap >= 0.5 and (best is None or overlap > best[1]):
                best = (ei, overlap)
        if best is not None:
            used.add(best[0])
            matches.append((g, extracted[best[0]], best[1]))
        elif verbose:
            cands = [(e.label, e.page, [round(v) for v in e.figure_bbox],
                      round(iou(tuple(e.figure_bbox), tuple(g["figure_bbox"])), 2))
                     for e in extracted if (e.kind, e.number) == gk]
            print(f"   MISS {g['id']} p{g['page']} truth={[round(v) for v in g['figure_bbox']]} got={cands}")
    if verbose:
        for ei, e in enumerate(extracted):
            if ei not in used:
                print(f"   EXTRA {e.label} p{e.page} {[round(v) for v in e.figure_bbox]} {e.caption_text[:60]!r}")
    tp = len(matches)
    caption_sims = [similarity(g["caption_text"], e.caption_text) for g, e, _ in matches]
    cited_truth = sum(len(g.get("cited_on_pages", [])) for g, _, _ in matches)
    cited_found = sum(len(set(g.get("cited_on_pages", [])) & set(e.cited_on_pages)) for g, e, _ in matches)
    panels_right = sum((len(e.panel_labels) or 1) == g.get("panels", 1) for g, e, _ in matches)
    return {"file": truth["file"], "pages": result.page_count, "seconds": seconds, "tp": tp,
            "fp": len(extracted) - tp, "fn": len(gold) - tp, "caption_sims": caption_sims,
            "cited_truth": cited_truth, "cited_found": cited_found, "panels_right": panels_right,
            "ious": [o for _, _, o in matches]}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main(argv=None) -> int:
    args, files = truth_files(__doc__.splitlines()[0], ".figures.json", argv)
    if not files:
        return 2
    rows = []
    print(f"{'file':58} {'pages':>5} {'tp':>3} {'fp':>3} {'fn':>3} {'P':>5} {'R':>5} {'F1':>5} {'cap':>5} {'cite':>5} {'s':>6}")
    for f in files:
        row = score_file(f, verbose=args.verbose)
        rows.append(row)
        p, r, f1 = prf(row["tp"], row["fp"], row["fn"])
        cap = sum(row["caption_sims"]) / len(row["caption_sims"]) if row["caption_sims"] else float("nan")
        cite = row["cited_found"] / row["cited_truth"] if row["cited_truth"] else float("nan")
        print(f"{row['file'][:58]:58} {row['pages']:5d} {row['tp']:3d} {row['fp']:3d} {row['fn']:3d} "
              f"{p:5.3f} {r:5.3f} {f1:5.3f} {cap:5.3f} {cite:5.3f} {row['seconds']:6.2f}")
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    p, r, f1 = prf(tp, fp, fn)
    sims = [s for row in rows for s in row["caption_sims"]]
    cited_truth = sum(r["cited_truth"] for r in rows)
    cited_found = sum(r["cited_found"] for r in rows)
    pages = sum(r["pages"] for r in rows)
    seconds = sum(r["seconds"] for r in rows)
    print(f"overall: tp={tp} fp={fp} fn={fn} precision={p:.3f} recall={r:.3f}")
    print(f"caption similarity (mean over matches) = {sum(sims) / max(1, len(sims)):.3f}")
    ious = [o for row in rows for o in row["ious"]]
    print(f"figure box IoU (mean over matches) = {sum(ious) / max(1, len(ious)):.3f}")
    print(f"citing-page recall = {cited_found / max(1, cited_truth):.3f} ({cited_found}/{cited_truth})")
    panels_right = sum(r["panels_right"] for r in rows)
    print(f"panel count right = {panels_right / max(1, tp):.3f} ({panels_right}/{tp})")
    print(f"speed = {pages / seconds:.1f} pages/s over {pages} pages")
    print(f"overall figure F1 = {f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
