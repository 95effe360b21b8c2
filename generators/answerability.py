"""Text-only answerability (as MMMU-Pro filtered its items): ask an LLM each picture question without
the picture, k times with the options rotated, and flag the items it answers right every time; a
question a model answers blind does not test vision.

Rotating the options (rather than sampling at a temperature) makes the k asks differ on any server,
deterministically, and keeps a position bias from passing for knowledge.
"""
from __future__ import annotations

from builder.llm import LLM, LLMOutputError
from builder.records import Item
from generators.template import LETTERS

SYSTEM = ("Answer the multiple-choice question. You cannot see any image it mentions: choose the most likely "
          "option anyway.")


def _schema(letters: list[str]) -> dict:
    return {"type": "object", "additionalProperties": False, "required": ["answer"],
            "properties": {"answer": {"enum": letters}}}


def _asks(item: Item, k: int) -> list[tuple[dict, dict]]:
    """(request, letter shown -> original letter) for each of the k rotations."""
    n = len(item.options)
    out = []
    for r in range(min(k, n)):
        order = item.options[r:] + item.options[:r]
        shown = {LETTERS[i]: o.label for i, o in enumerate(order)}
        lines = [item.question, ""] + [f"{LETTERS[i]}. {o.text}" for i, o in enumerate(order)]
        request = {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}],
                   "schema": _schema(list(shown)), "seed": r, "purpose": "answerability"}
        out.append((request, shown))
    return out


def check(llm: LLM, items: list[Item], k: int = 3) -> tuple[dict[str, list[dict]], dict]:
    """Flags per item id, and a summary: items asked, answered right every time, share of right asks."""
    asked = [i for i in items if i.images]
    plan = [(item, request, shown) for item in asked for request, shown in _asks(item, k)]
    answers = llm.map_json([request for _, request, _ in plan])
    right: dict[str, list[bool]] = {}
    for (item, _, shown), answer in zip(plan, answers):
        ok = not isinstance(answer, LLMOutputError) and shown[answer["answer"]] == item.answer
        right.setdefault(item.id, []).append(ok)
    flags = {}
    for iid, results in right.items():
        if results and all(results):
            flags[iid] = [{"check": "text_only_answerable", "severity": "flag",
                           "reason": f"{llm.config.model} chose the right answer without the image "
                                     f"{len(results)}/{len(results)} times"}]
    total = sum(len(r) for r in right.values())
    summary = {"model": llm.config.model, "k": k, "items": len(asked), "answerable": len(flags),
               "right_share": round(sum(sum(r) for r in right.values()) / total, 3) if total else None}
    return flags, summary
