"""The LLM generator: MedBookVQA's five question types from a figure's caption, citing text and labels.

One request per figure and question type. The model may decline a type the text does not support
(``supported: false``); an accepted answer must be valid JSON of the item shape, with distinct
options and the answer among them, or it is asked again and finally rejected with its reason.
The correct option goes first and answer positions are dealt afterwards, as for the template items.
With ``declined="flag"`` a declined question is kept with a QC flag instead, for a reviewer to judge.
"""
from __future__ import annotations

from builder.llm import LLM, LLMOutputError, prompt_hash
from builder.records import Figure, Item, Labels, Option, item_id
from generators.qc import option_problems
from generators.template import LETTERS, label_summary

NAME = "llm"
VERSION = "0.1.0"
TYPES = ("modality_recognition", "disease_classification", "anatomy_identification", "symptom_diagnosis",
         "surgery_operation")

ASK = {
    "modality_recognition": "Ask which imaging modality or technique produced the image.",
    "disease_classification": "Ask which disease or lesion the image shows.",
    "anatomy_identification": "Ask which anatomical structure or region the image mainly shows.",
    "symptom_diagnosis": "Give the clinical findings the text describes and ask for the diagnosis the image supports.",
    "surgery_operation": "Ask which surgical procedure, operative step or instrument the image shows.",
}
SYSTEM = ("You write one multiple-choice question for a medical visual question answering benchmark. The reader "
          "sees the image but not the caption. The correct answer must be stated in the caption or the citing "
          "text; the wrong options must be plausible, of the same kind as the answer, and clearly wrong. Never "
          "put the answer's words in the question. If the text does not support this kind of question, "
          "set supported to false.")
TEMPLATE = ("Kind of question: {ask}\nCaption: {caption}\nCiting text: {citing}\nLabels: {labels}\n"
            "Write the question and {n} options; answer_index is the position of the correct option (0-based).")


def schema(n_options: int) -> dict:
    return {
        "type": "object", "additionalProperties": False,
        "required": ["question", "options", "answer_index", "supported"],
        # enum, not minimum/maximum: grammar-constrained servers (llama.cpp) enforce the one, not the other;
        # "supported" last, so the model judges the question it has written
        "properties": {
            "question": {"type": "string", "maxLength": 400},
            "options": {"type": "array", "minItems": n_options, "maxItems": n_options,
                        "items": {"type": "string", "maxLength": 160}},
            "answer_index": {"enum": list(range(n_options))},
            "supported": {"type": "boolean"},
        },
    }


def fingerprint(n_options: int) -> str:
    return prompt_hash(SYSTEM, TEMPLATE, ASK, schema(n_options))


def check(answer: dict) -> str | None:
    """What jsonschema cannot say about an answer; None when it is usable."""
    if not answer["question"].strip():
        return "empty question"
    problems = option_problems(answer["options"])
    return problems[0] if problems else None


def _labels_text(labels: Labels | None) -> str:
    if labels is None:
        return "none"
    parts = [f"{facet}: {' > '.join(v['path'])}" for facet, v in label_summary(labels).items()]
    return "; ".join(parts) or "none"


def jobs(figure: Figure, labels: Labels | None, types: tuple[str, ...], n_options: int, seed: int) -> list[tuple[str, dict]]:
    """(question type, request) for each type asked of one figure with a picture."""
    if figure.kind == "table" or figure.image is None:
        return []
    citing = " ".join(c.text for c in figure.citing)[:800] or "none"
    out = []
    for qtype in types:
        if qtype not in ASK:
            continue
        user = TEMPLATE.format(ask=ASK[qtype], caption=figure.caption_text[:1200], citing=citing,
                               labels=_labels_text(labels), n=n_options)
        out.append((qtype, {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
                            "schema": schema(n_options), "seed": seed, "check": check, "purpose": "generate"}))
    return out


def to_item(answer: dict, figure: Figure, labels: Labels | None, qtype: str, llm: LLM, n_options: int, seed: int,
            license: str | None, filename: str | None, declined: str = "drop") -> Item | None:
    """The item for an accepted answer (correct option first), or None when the model declined it."""
    flags = []
    if not answer["supported"]:
        if declined == "drop":
            return None
        flags.append({"check": "llm_unsupported", "severity": "flag",
                      "reason": f"{llm.config.model} said the caption and citing text do not support this question"})
    k = answer["answer_index"]
    texts = [answer["options"][k]] + [o for i, o in enumerate(answer["options"]) if i != k]
    config = llm.config
    return Item(
        id=item_id(figure.id, qtype, f"{NAME}:{config.model}"), kind="vqa", question_type=qtype,
        question=answer["question"].strip(), options=[Option(LETTERS[i], " ".join(t.split())) for i, t in enumerate(texts)],
        answer="A", images=[figure.image.path],
        source={"source_sha256": figure.source_sha256, "record_id": figure.id, "record_kind": "figure",
                "page": figure.page, "filename": filename or "", "caption": figure.caption_text},
        labels=label_summary(labels) if labels else {},
        generator={"name": NAME, "version": VERSION, "model": config.model, "prompt_hash": fingerprint(n_options),
                   "parameters": {"n_options": n_options, **config.parameters(), "structured": llm.usage.mode},
                   "seed": seed},
        license=license, review_status="pending", qc={"passed": True, "flags": flags})


def generate(llm: LLM, figures: list[tuple[Figure, Labels | None]], types: tuple[str, ...], n_options: int = 4,
             seed: int = 0, license: str | None = None, filename: str | None = None,
             declined: str = "drop") -> tuple[list[Item], list[dict], int]:
    """Items for all figures of one document, the rejections (figure, type, reason), and how many
    questions the model declined as unsupported by the text."""
    planned = [(fig, lab, qtype, job) for fig, lab in figures for qtype, job in jobs(fig, lab, types, n_options, seed)]
    answers = llm.map_json([job for *_, job in planned])
    items, rejected, n_declined = [], [], 0
    for (fig, lab, qtype, _), answer in zip(planned, answers):
        if isinstance(answer, LLMOutputError):
            rejected.append({"record_id": fig.id, "question_type": qtype, "reason": str(answer)})
            continue
        item = to_item(answer, fig, lab, qtype, llm, n_options, seed, license, filename, declined)
        if not answer["supported"]:
            n_declined += 1
        if item is not None:
            items.append(item)
    return items, rejected, n_declined
