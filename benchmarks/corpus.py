"""What the scorers share: the corpus folder, its ground-truth files, and text similarity."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rapidfuzz.distance import Levenshtein

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


def truth_files(description: str, suffix: str, argv=None) -> tuple[argparse.Namespace, list[Path]]:
    """Parse --corpus/--only/--verbose and list the corpus's ``*<suffix>`` ground-truth files."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="a folder laid out like ../shared/corpus/dev")
    ap.add_argument("--only", help="score only files whose name contains this")
    ap.add_argument("--verbose", action="store_true", help="list what is wrong")
    args = ap.parse_args(argv)
    files = sorted(args.corpus.glob(f"*{suffix}"))
    if args.only:
        files = [f for f in files if args.only in f.name]
    if not files:
        print(f"no *{suffix} in {args.corpus}", file=sys.stderr)
    return args, files


def norm(text: str) -> str:
    return " ".join((text or "").split())


def similarity(a: str, b: str) -> float:
    """Normalised edit-distance ratio of whitespace-normalised text."""
    return Levenshtein.normalized_similarity(norm(a), norm(b))


def key_files(truth: dict, folder: Path) -> list[Path]:
    """The key files a booklet's ground truth names (what a user passes to extract --key); a key
    printed inside the booklet names the booklet itself and is no separate file."""
    return [folder / k for k in truth.get("answer_key_files", []) if k != truth["file"]]


def answer_keys(corpus: Path) -> dict[str, list[Path]]:
    """Each exam booklet's key files, by booklet name."""
    keys = {}
    for truth in corpus.glob("*.questions.json"):
        data = json.loads(truth.read_text("utf-8"))
        keys[data["file"]] = key_files(data, corpus)
    return keys
