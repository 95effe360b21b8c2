"""The offline default generator: VQA items from a figure's taxonomy labels, exam MCQs as they are.

A modality or anatomy question asks for the figure's label; the distractors are its siblings in the
taxonomy (CT vs MRI vs X-ray), then its cousins, never an ancestor, a descendant or a synonym of the
answer. The answer's position is dealt round-robin so that letters come out balanced, and everything
else is drawn from a seed derived from the item id, so a rerun gives the same items.
"""
from __future__ import annotations

import hashlib
import random

from builder.records import Figure, Item, Labels, Option, Question, item_id
from taxonomy.model import Facet, load

NAME = "template"
VERSION = "0.1.2"
LETTERS = "ABCDEFGHIJ"

PROMPTS = {
    "modality_recognition": "Which imaging modality was used to obtain this image?",
    "anatomy_identification": "Which anatomical structure is mainly shown in this image?",
}
# figure types that are not an imaging modality to recognise
NOT_MODALITIES = ("mod.illustration", "mod.chart", "mod.table")


def seed_of(item: str, seed: int) -> int:
    return int(hashlib.sha256(f"{item}|{seed}".encode()).hexdigest()[:12], 16)


def distractors(facet: Facet, answer_id: str, n: int, rng: random.Random,
                exclude_roots: tuple[str, ...] = ()) -> list[str]:
    """Siblings first, then cousins of the same depth; no ancestor, descendant or synonym."""
    answer = facet.nodes[answer_id]
    related = {a.id for a in facet.ancestors(answer_id)} | _descendants(facet, answer_id) | {answer_id}
    answer_terms = {t.lower() for terms in answer.terms.values() for t in terms} | {answer.name.lower()}

    def usable(node_id: str) -> bool:
        node = facet.nodes[node_id]
        if node_id in related or node.name.lower() in answer_terms:
            return False
        if facet.category(node_id).id in exclude_roots:
            return False
        terms = {t.lower() for ts in node.terms.values() for t in ts}
        return not (terms & answer_terms)

    siblings = [k for k in (facet.nodes[answer.parent].children if answer.parent else
                            [r.id for r in facet.roots()]) if usable(k)]
    rng.shuffle(siblings)
    picked = siblings[:n]
    if len(picked) < n:
        cousins = [k for k, node in facet.nodes.items() if node.depth == answer.depth and usable(k) and k not in picked]
        same_category = [k for k in cousins if facet.category(k).id == facet.category(answer_id).id]
        others = [k for k in cousins if k not in same_category]
        rng.shuffle(same_category)
        rng.shuffle(others)
        picked += (same_category + others)[: n - len(picked)]
    return picked


def _descendants(facet: Facet, node_id: str) -> set[str]:
    out, stack = set(), list(facet.nodes[node_id].children)
    while stack:
        k = stack.pop()
        out.add(k)
        stack.extend(facet.nodes[k].children)
    return out


def label_summary(labels: Labels) -> dict:
    """Each facet's label, with the best of another category as its alternative: on exam questions the
    right category is one of the two about nine times in ten, against three in four for the first alone."""
    def brief(label: dict) -> dict:
        return {"id": label["id"], "name": label["name"], "path": label["path"], "confidence": label["confidence"]}
    out = {}
    for facet, values in labels.facets.items():
        if values:
            out[facet] = brief(values[0])
            if len(values) > 1:
                out[facet]["alternative"] = brief(values[1])
    return out


def _generator(seed: int, n_options: int) -> dict:
    return {"name": NAME, "version": VERSION, "model": None, "prompt_hash": None,
            "parameters": {"n_options": n_options}, "seed": seed}


def vqa_items(figure: Figure, labels: Labels, n_options: int = 4, seed: int = 0,
              min_confidence: float = 0.3, license: str | None = None, filename: str | None = None) -> list[Item]:
    """Items for one figure, before answer positions are dealt (the answer is option A for now)."""
    if figure.kind == "table" or figure.image is None:
        return []
    taxonomy = load()
    out = []
    for qtype, facet_name in (("modality_recognition", "modality"), ("anatomy_identification", "anatomy")):
        top = labels.primary(facet_name)
        if top is None or top["confidence"] < min_confidence or not top["tagger"].startswith("lexicon"):
            continue
        facet = taxonomy.facets[facet_name]
        answer_id = top["id"]
        if facet_name == "modality":
            # asked as CT vs MRI vs ultrasound vs X-ray: sub-types of one modality make ambiguous options
            answer_id = facet.category(answer_id).id
            if answer_id in NOT_MODALITIES:
                continue
        iid = item_id(figure.id, qtype, NAME)
        rng = random.Random(seed_of(iid, seed))
        wrong = distractors(facet, answer_id, n_options - 1, rng,
                            exclude_roots=NOT_MODALITIES if facet_name == "modality" else ("ana.regions",))
        if len(wrong) < n_options - 1:
            continue
        texts = [facet.nodes[answer_id].name] + [facet.nodes[w].name for w in wrong]
        out.append(Item(
            id=iid, kind="vqa", question_type=qtype, question=PROMPTS[qtype],
            options=[Option(LETTERS[i], t) for i, t in enumerate(texts)], answer="A",
            images=[figure.image.path],
            source={"source_sha256": figure.source_sha256, "record_id": figure.id, "record_kind": "figure",
                    "page": figure.page, "filename": filename or "", "caption": figure.caption_text},
            labels=label_summary(labels), generator=_generator(seed, n_options), license=license,
            review_status="pending", qc={"passed": True, "flags": []}))
    return out


def exam_item(question: Question, labels: Labels | None, seed: int = 0, license: str | None = None,
              filename: str | None = None, context: str = "") -> Item | None:
    """An exam question as an item, when it has one official answer among its options. ``context``: the
    case its item set printed before it, which the item carries so that it can be answered alone."""
    letters = [o.label for o in question.options]
    if question.answer_status != "keyed" or question.answer not in letters or len(letters) < 2:
        return None
    text = f"{context}\n\n{question.stem}" if context else question.stem
    return Item(
        id=item_id(question.id, "exam_mcq", NAME), kind="mcq", question_type="exam_mcq", question=text,
        options=list(question.options), answer=question.answer, images=[i.path for i in question.images],
        source={"source_sha256": question.source_sha256, "record_id": question.id, "record_kind": "question",
                "page": question.page, "filename": filename or "", "caption": None},
        labels=label_summary(labels) if labels else {}, generator=_generator(seed, len(letters)),
        license=license, review_status="pending", qc={"passed": True, "flags": []})


def deal_answers(items: list[Item]) -> list[Item]:
    """Put each VQA answer at the next position in turn (items in id order), so letters balance."""
    turn: dict[int, int] = {}
    for item in sorted(items, key=lambda i: i.id):
        if item.kind != "vqa":
            continue
        n = len(item.options)
        pos = turn.get(n, 0)
        turn[n] = pos + 1
        slot = pos % n
        texts = [o.text for o in item.options]
        answer_text = texts[0]
        others = texts[1:]
        texts = others[:slot] + [answer_text] + others[slot:]
        item.options = [Option(LETTERS[i], t) for i, t in enumerate(texts)]
        item.answer = LETTERS[slot]
    return items
