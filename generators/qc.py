"""Quality checks on items. Each check returns flags with a reason; 'drop' flags fail the item.

Checks: schema validity; options distinct, non-empty and not placeholders ("A", "Option 2"); two
options that name the same taxonomy node ("MRI" and "Magnetic resonance imaging"); exactly one
correct answer; answer leaking into the question; near-duplicate questions (Jaccard on word
3-grams); duplicate images (difference hash); answer-letter balance (a letter above 30% with 4
options); a question that refers to a picture without one; images too small to read.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from builder.records import Item, RecordError

MIN_IMAGE_SIDE = 64
PLACEHOLDER = re.compile(r"^(option|opção|opcion|opción|choice|answer)?\s*[\(\[]?([a-j]|\d{1,2})[\)\]\.:]?$", re.IGNORECASE)
# words that point at a picture ("laboratory studies are shown" points at a table in the text)
FIGURE_WORDS = re.compile(r"\b(photograph|photomicrograph|micrograph|image|figure|radiograph|x-ray|imagem|figura|"
                          r"foto|fotografia|radiografia)\b|如圖|附圖|下圖|圖[一二三]", re.IGNORECASE)


def _flag(check: str, reason: str, severity: str = "flag") -> dict:
    return {"check": check, "reason": reason, "severity": severity}


def same_node_options(options: list[str], tagger) -> tuple[str, str] | None:
    """Two options the taxonomy tagger reads as the same node (a synonym or an abbreviation of each
    other), when each is wholly that node's name; None when all differ."""
    seen: dict[tuple[str, str], str] = {}
    for text in options:
        for facet, labels in tagger.tag({"options": text}).items():
            top = labels[0]
            covered = sum(e.end - e.start for e in top.evidence if e.field == "options")
            if covered < 0.6 * len(text.strip()):
                continue  # "MRI of the knee" and "MRI" are not the same answer
            key = (facet, top.id)
            if key in seen:
                return seen[key], text
            seen[key] = text
    return None


def option_problems(texts: list[str]) -> list[str]:
    """Why a set of options cannot stand (empty, or two the same once spacing and case are set aside)."""
    folded = [" ".join(t.split()).lower() for t in texts]
    problems = []
    if any(not t for t in folded):
        problems.append("an option is empty")
    if len(set(folded)) != len(folded):
        problems.append("two options have the same text")
    return problems


def item_flags(item: Item, image_size=None, tagger=None) -> list[dict]:
    """Checks on one item alone. ``image_size(path) -> (w, h) | None`` reads its pictures; ``tagger``
    (the lexicon tagger) finds options that are synonyms of each other."""
    flags = []
    try:
        item.to_dict()
    except RecordError as exc:
        flags.append(_flag("schema", str(exc), "drop"))
    texts = [" ".join(o.text.split()).lower() for o in item.options]
    problems = option_problems(texts)
    flags += [_flag("options", reason, "drop") for reason in problems]
    if "two options have the same text" not in problems and tagger is not None and item.kind == "vqa":
        pair = same_node_options([o.text for o in item.options], tagger)
        if pair:
            flags.append(_flag("synonym_options", f"'{pair[0]}' and '{pair[1]}' name the same thing"))
    if sum(bool(PLACEHOLDER.match(t)) for t in texts) >= 2:
        flags.append(_flag("options", "options are placeholders, not answers", "drop"))
    labels = [o.label for o in item.options]
    if labels.count(item.answer) != 1:
        flags.append(_flag("answer", f"the answer {item.answer} is not exactly one of the options {labels}", "drop"))
    else:
        answer_text = texts[labels.index(item.answer)]
        if len(answer_text) >= 4 and re.search(rf"\b{re.escape(answer_text)}\b", item.question.lower()):
            flags.append(_flag("leakage", f"the answer '{answer_text}' appears in the question"))
    if item.kind == "mcq" and not item.images and FIGURE_WORDS.search(item.question):
        flags.append(_flag("missing_image", "the question refers to a picture but has none", "drop"))
    if image_size is not None:
        for path in item.images:
            size = image_size(path)
            if size is None:
                flags.append(_flag("image", f"{path}: image file missing", "drop"))
            elif min(size) < MIN_IMAGE_SIDE:
                flags.append(_flag("image", f"{path}: {size[0]}x{size[1]} px is too small to read"))
    return flags


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def dhash(path: Path, size: int = 16) -> int | None:
    from PIL import Image
    try:
        img = Image.open(path).convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        return None
    px = list(img.getdata())
    bits = 0
    for row in range(size):
        for col in range(size):
            bits = (bits << 1) | (px[row * (size + 1) + col] > px[row * (size + 1) + col + 1])
    return bits


def collection_flags(items: list[Item], image_hash=None, near: float = 0.9) -> dict[str, list[dict]]:
    """Checks across items: near-duplicate questions and duplicate images (the later one is flagged)."""
    out: dict[str, list[dict]] = {}
    seen_text: list[tuple[str, set]] = []
    seen_image: list[tuple[str, int, str]] = []
    for item in sorted(items, key=lambda i: i.id):
        text = item.question + " " + " ".join(o.text for o in item.options)
        sh = shingles(text)
        for other, osh in seen_text:
            if item.kind == "mcq" and jaccard(sh, osh) >= near:
                out.setdefault(item.id, []).append(_flag("near_duplicate", f"question text like {other}"))
                break
        seen_text.append((item.id, sh))
        if image_hash is not None:
            for path in item.images:
                h = image_hash(path)
                if h is None:
                    continue
                for other, oh, qtype in seen_image:
                    if qtype == item.question_type and bin(h ^ oh).count("1") <= 10 and other != item.id:
                        out.setdefault(item.id, []).append(_flag("duplicate_image", f"same image as {other}"))
                        break
                seen_image.append((item.id, h, item.question_type))
    return out


def letter_balance(items: list[Item]) -> dict:
    """Answer-letter shares per option count; a letter above 30% (with 4 options) is flagged."""
    report = {}
    by_n: dict[int, Counter] = {}
    for item in items:
        by_n.setdefault(len(item.options), Counter())[item.answer] += 1
    for n, counts in sorted(by_n.items()):
        total = sum(counts.values())
        shares = {k: round(v / total, 3) for k, v in sorted(counts.items())}
        limit = 0.3 if n == 4 else min(1.0, 1.2 / n + 0.05)
        report[str(n)] = {"items": total, "shares": shares,
                          "over_limit": [k for k, v in shares.items() if v > limit and total >= 10]}
    return report
