"""The generate stage (items from labelled records, checked on the way) and the QC report."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from builder.records import Item, case_of, earlier_stems
from builder.workspace import Workspace, dump_json, write_atomic
from generators import qc, template

STAGE = "generate"
UPSTREAM = ("tag",)          # labels tagged again (a new tagger, a re-extracted document) are generated again
TYPES = ("modality_recognition", "disease_classification", "anatomy_identification", "symptom_diagnosis",
         "surgery_operation", "exam_mcq")
# what each generator can build (exam questions are items as they are, whichever generator)
SUPPORTED = {"template": ("modality_recognition", "anatomy_identification", "exam_mcq"),
             "llm": TYPES}
LLM_CACHE = "cache/llm"


@dataclass
class GenerateResult:
    source: str
    status: str
    items: int = 0
    dropped: int = 0
    rejected: int = 0
    declined: int = 0


def open_llm(ws: Workspace, config):
    """An LLM client whose answers are cached in the workspace (a rerun pays nothing for them)."""
    from builder.llm import LLM
    return LLM(config, cache_dir=ws.path(LLM_CACHE))


def _version(generator: str, n_options: int, seed: int, types: tuple[str, ...], llm, declined: str) -> str:
    base = f"+n{n_options}+s{seed}+{','.join(sorted(types))}"
    if generator == "llm":
        from generators import llm as llm_gen
        params = ",".join(f"{k}={v}" for k, v in sorted(llm.config.parameters().items()))
        return (f"{llm_gen.NAME}-{llm_gen.VERSION}:{llm.config.model}:{llm_gen.fingerprint(n_options)}:{params}"
                f"+declined={declined}{base}")
    return f"{template.NAME}-{template.VERSION}{base}"


def generate_workspace(ws: Workspace, n_options: int = 4, seed: int = 0, types: tuple[str, ...] | None = None,
                       force: bool = False, generator: str = "template", llm=None,
                       declined: str = "drop") -> list[GenerateResult]:
    """Items for every tagged document not yet done at this generator, model and settings.
    With the LLM generator an endpoint failure stops the run (LLMError) with finished documents
    committed and every answer so far cached."""
    types = tuple(t for t in (types or SUPPORTED[generator]) if t in SUPPORTED[generator])
    version = _version(generator, n_options, seed, types, llm, declined)
    results = []
    for source, done in ws.stage_sources(STAGE, version, force, after=UPSTREAM):
        sha = source.sha256
        if done is not None:
            results.append(GenerateResult(source.filename, "skipped", done.counts.get("item", 0),
                                          done.counts.get("dropped", 0), done.counts.get("rejected", 0),
                                          done.counts.get("declined", 0)))
            continue
        with ws.document(STAGE, sha, kinds=("item",), after=UPSTREAM) as out:
            labels = {l.record_id: l for l in ws.records("labels", sha)}
            items: list[Item] = []
            rejected: list[dict] = []
            n_declined = 0
            figures = [f for f in ws.records("figure", sha) if f.id in labels]
            if generator == "llm":
                from generators import llm as llm_gen
                items, rejected, n_declined = llm_gen.generate(llm, [(f, labels[f.id]) for f in figures], types,
                                                               n_options, seed, source.license, source.filename,
                                                               declined)
            else:
                for fig in figures:
                    items += [i for i in template.vqa_items(fig, labels[fig.id], n_options, seed,
                                                            license=source.license, filename=source.filename)
                              if i.question_type in types]
            if "exam_mcq" in types:
                questions = list(ws.records("question", sha))
                earlier = earlier_stems(questions)
                for q in questions:
                    item = template.exam_item(q, labels.get(q.id), seed, source.license, source.filename,
                                              context=case_of(q, earlier))
                    if item is not None:
                        items.append(item)
            template.deal_answers(items)
            kept, dropped = check(ws, items)
            out.put_records(kept)
            out.commit(version, {"item": len(kept), "dropped": dropped, "rejected": len(rejected), "declined": n_declined})
        rejected_path = ws.path(f"reports/rejected/{sha}.json")
        if rejected:
            write_atomic(rejected_path, dump_json(rejected))
        else:
            rejected_path.unlink(missing_ok=True)
        results.append(GenerateResult(source.filename, "done", len(kept), dropped, len(rejected), n_declined))
    return results


def _image_size(ws: Workspace):
    from PIL import Image

    def size(path: str):
        try:
            with Image.open(ws.path(path)) as img:
                return img.size
        except OSError:
            return None
    return size


def check(ws: Workspace, items: list[Item]) -> tuple[list[Item], int]:
    """Per-item QC; items with a 'drop' flag are left out (and counted), flags are kept on the rest."""
    from taxonomy.lexicon_tagger import LexiconTagger
    size = _image_size(ws)
    tagger = LexiconTagger()
    kept, dropped = [], 0
    for item in items:
        flags = item.qc.get("flags", []) + qc.item_flags(item, size, tagger)
        item.qc = {"passed": not any(f["severity"] == "drop" for f in flags), "flags": flags}
        if item.qc["passed"]:
            kept.append(item)
        else:
            dropped += 1
    return kept, dropped


def qc_report(ws: Workspace, llm=None, k: int = 3) -> dict:
    """The whole workspace's items: checks across documents, flag counts, letter balance, per type;
    with an LLM, the text-only answerability check too (its answers cached like generation's)."""
    items = list(ws.records("item"))
    cross = qc.collection_flags(items, image_hash=lambda p: qc.dhash(ws.path(p)))
    answerability = None
    if llm is not None:
        from generators import answerability as blind
        blind_flags, answerability = blind.check(llm, items, k)
        for iid, fs in blind_flags.items():
            cross.setdefault(iid, []).extend(fs)
    flags = Counter()
    for item in items:
        for f in item.qc["flags"] + cross.get(item.id, []):
            flags[f["check"]] += 1
    dropped = sum((ws.done_marker(STAGE, s.sha256).counts.get("dropped", 0)
                   for s in ws.sources() if ws.done_marker(STAGE, s.sha256)), 0)
    report = {
        "items": len(items), "dropped_at_generation": dropped,
        "by_type": dict(Counter(i.question_type for i in items)),
        "flags": dict(flags), "letter_balance": qc.letter_balance(items),
        "flagged_items": {iid: fs for iid, fs in cross.items()},
        "answerability": answerability,
    }
    write_atomic(ws.path("reports/qc.json"), (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode())
    lines = [f"# QC report: {len(items)} items", "", f"Dropped at generation: {dropped}", "",
             "| question type | items |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(report["by_type"].items())]
    lines += ["", "| check | flags |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(flags.items())]
    if answerability and answerability["items"]:
        lines += ["", f"Text-only answerability ({answerability['model']}, {answerability['k']} asks with options "
                      f"rotated): {answerability['answerable']} of {answerability['items']} picture items answered "
                      f"right every time; right answers {answerability['right_share']:.0%} of asks."]
    lines += ["", "Answer letters (share per letter, by option count):", ""]
    for n, info in report["letter_balance"].items():
        lines.append(f"- {n} options, {info['items']} items: " + ", ".join(f"{k} {v:.0%}" for k, v in info["shares"].items())
                     + (f" — over 30%: {', '.join(info['over_limit'])}" if info["over_limit"] else ""))
    write_atomic(ws.path("reports/qc.md"), ("\n".join(lines) + "\n").encode())
    return report
