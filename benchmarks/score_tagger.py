"""Scores the taxonomy tagger against the hand-labelled dev set (benchmarks/data/tagger_devset.tsv).

    python benchmarks/score_tagger.py [--corpus ../shared/corpus/dev] [--verbose] [--llm-url URL --llm-model NAME]
    python benchmarks/score_tagger.py --devset benchmarks/data/tagger_holdout.tsv

Runs the real stages (extract, then tag) into a temporary workspace, then per facet prints, over the
records whose gold label applies: coverage (a label was given), leaf accuracy (the same node) and
category accuracy (the same top-level category), also split into captions and questions; missing labels
count as wrong; and the share of labels confident enough that review flags them not ("confident",
confidence >= builder.tagging.LOW_CONFIDENCE) with their category accuracy. Over the records where no
label applies it prints how often the tagger still gave one. With --embedding and/or an LLM
endpoint it scores the lexicon with those recall taggers (their label where the lexicon found none).
"""
from __future__ import annotations

import argparse
import sys
import tempfile

from pathlib import Path

from builder.pipeline import ExtractOptions, extract_one
from builder.tagging import LOW_CONFIDENCE, tag_workspace
from builder.workspace import Workspace
from corpus import DEFAULT_CORPUS, answer_keys
from extractors.labels import label_at_start
from taxonomy.model import FACETS, load

DEVSET = Path(__file__).resolve().parent / "data" / "tagger_devset.tsv"
# questions from booklets outside the dev set, for a figure on text the rules were not tuned on
HOLDOUT = DEVSET.with_name("tagger_holdout.tsv")
UNLABELLED = "?"     # a facet a check-set row leaves unlabelled: not scored


def record_key(filename: str, label: str | None = None, number: int | None = None) -> str:
    """'<pdf>#figure:3.2' for a figure or table (the printed word and punctuation aside), '<pdf>#q12'."""
    if number is not None:
        return f"{filename}#q{number}"
    parsed = label_at_start(label)
    return f"{filename}#{parsed.key[0]}:{parsed.number}" if parsed else f"{filename}#{label}"


def read_devset(path: Path = DEVSET) -> dict[str, dict[str, str | None]]:
    rows = {}
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("key\t"):
            continue
        key, *labels = line.split("\t")
        name, ref = key.split("#", 1)
        key = record_key(name, number=int(ref[1:])) if ref.startswith("q") and ref[1:].isdigit() else record_key(name, ref)
        rows[key] = {f: (None if v == "-" else v) for f, v in zip(FACETS, labels)}
    return rows


def predictions(corpus: Path, keys: list[str], llm_config=None, embedding: bool = False) -> dict[str, dict[str, str | None]]:
    """Tag through the real stages: extract every document the dev set names (a booklet with its key),
    then tag."""
    files = sorted({k.split("#")[0] for k in keys})
    out: dict[str, dict[str, str | None]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "ws")
        by_sha = {}
        keys = answer_keys(corpus)     # a booklet with its answer key, as a user extracts it
        for name in files:
            result = extract_one(ws, corpus / name, ExtractOptions(ocr="never", keys=keys.get(name, [])))
            if result.status == "failed":
                raise SystemExit(f"extract failed: {result.error}")
            by_sha[result.sha256] = name
        recall = []
        if embedding:
            from taxonomy.embedding_tagger import EmbeddingTagger
            recall.append(EmbeddingTagger())
        if llm_config is not None:
            from builder.generation import open_llm
            from taxonomy.llm_tagger import LLMTagger
            recall.append(LLMTagger(open_llm(ws, llm_config)))
        tag_workspace(ws, recall=tuple(recall))
        records = {r.id: r for kind in ("figure", "question") for r in ws.records(kind)}
        for labels in ws.records("labels"):
            rec = records[labels.record_id]
            name = by_sha[rec.source_sha256]
            key = record_key(name, rec.label) if rec.KIND == "figure" else record_key(name, number=rec.number)
            out[key] = {f: (labels.primary(f) or {}).get("id") for f in FACETS}
            out[key]["confidence"] = {f: (labels.primary(f) or {}).get("confidence") for f in FACETS}
    return out


def score(gold: dict, pred: dict, verbose: bool = False) -> dict:
    taxonomy = load()
    result = {}
    for facet in FACETS:
        tree = taxonomy.facets[facet]
        n = covered = leaf = category = 0
        none_n = none_given = 0
        misses = []
        sure = sure_right = 0      # labels a reviewer need not check (confidence >= LOW_CONFIDENCE)
        for key, g in gold.items():
            p = pred.get(key, {}).get(facet)
            if g[facet] == UNLABELLED:
                continue
            if g[facet] is None:
                none_n += 1
                none_given += p is not None
                continue
            n += 1
            if p is None:
                misses.append((key, g[facet], None))
                continue
            covered += 1
            leaf += p == g[facet]
            same_category = tree.category(p).id == tree.category(g[facet]).id
            category += same_category
            if (pred[key].get("confidence", {}).get(facet) or 0) >= LOW_CONFIDENCE:
                sure += 1
                sure_right += same_category
            if not same_category:
                misses.append((key, g[facet], p))
        by_kind = {}
        for kind, is_kind in (("captions", lambda k: "#q" not in k), ("questions", lambda k: "#q" in k)):
            keys = [k for k, g in gold.items() if g[facet] not in (None, UNLABELLED) and is_kind(k)]
            wrong = sum(1 for k, _, _ in misses if is_kind(k))
            by_kind[kind] = (len(keys) - wrong) / len(keys) if keys else None
        result[facet] = {"n": n, "coverage": covered / n if n else 1.0, "leaf": leaf / n if n else 1.0,
                         "by_kind": by_kind,
                         "category": category / n if n else 1.0,
                         "category_when_given": category / covered if covered else 1.0,
                         "spurious": none_given / none_n if none_n else 0.0, "misses": misses,
                         "sure": sure / n if n else 0.0, "sure_category": sure_right / sure if sure else None}
        if verbose:
            for key, g, p in misses:
                print(f"   {facet}: {key}: gold {g} got {p}")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--devset", type=Path, default=DEVSET)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--embedding", action="store_true", help="add the embedding tagger")
    ap.add_argument("--llm-url")
    ap.add_argument("--llm-model")
    args = ap.parse_args(argv)
    gold = read_devset(args.devset)
    config = None
    if args.llm_url:
        from builder.llm import LLMConfig
        config = LLMConfig.from_env(args.llm_url, args.llm_model)
    pred = predictions(args.corpus, list(gold), config, args.embedding)
    missing = [k for k in gold if k not in pred]
    if missing:
        print(f"dev-set records not found by extraction: {missing[:5]} ({len(missing)})", file=sys.stderr)
    result = score(gold, pred, args.verbose)
    print(f"{len(gold)} hand-labelled records")
    print(f"{'facet':12} {'n':>4} {'coverage':>9} {'leaf acc':>9} {'cat acc':>8} {'cat acc|given':>14} {'spurious':>9}"
          f" {'captions':>9} {'questions':>10} {'confident':>10} {'cat acc|confident':>18}")
    for facet, r in result.items():
        if not r["n"]:
            print(f"{facet:12} {0:4d}   (not labelled in this set)")
            continue
        kinds = " ".join(f"{v:9.3f}" if v is not None else f"{'-':>9}" for v in r["by_kind"].values())
        sure = f"{r['sure_category']:18.3f}" if r["sure_category"] is not None else f"{'-':>18}"
        print(f"{facet:12} {r['n']:4d} {r['coverage']:9.3f} {r['leaf']:9.3f} {r['category']:8.3f} "
              f"{r['category_when_given']:14.3f} {r['spurious']:9.3f} {kinds} {r['sure']:10.3f} {sure}")
    worst = min(r["category"] for r in result.values() if r["n"])
    print(f"tagger category accuracy (worst facet) = {worst:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
