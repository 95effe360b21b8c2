"""The generate stage (items from labelled records, checked on the way) and the QC report."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from builder.records import Item
from builder.workspace import Workspace, write_atomic
from generators import qc, template

STAGE = "generate"
TYPES = ("modality_recognition", "anatomy_identification", "exam_mcq")


@dataclass
class GenerateResult:
    source: str
    status: str
    items: int = 0
    dropped: int = 0


def generate_workspace(ws: Workspace, n_options: int = 4, seed: int = 0, types: tuple[str, ...] = TYPES,
                       force: bool = False) -> list[GenerateResult]:
    version = f"{template.NAME}-{template.VERSION}+n{n_options}+s{seed}+{','.join(sorted(types))}"
    results = []
    for source, done in ws.stage_sources(STAGE, version, force):
        sha = source.sha256
        if done is not None:
            results.append(GenerateResult(source.filename, "skipped", done.counts.get("item", 0),
                                          done.counts.get("dropped", 0)))
            continue
        labels = {l.record_id: l for l in ws.records("labels", sha)}
        items: list[Item] = []
        for fig in ws.records("figure", sha):
            if fig.id in labels:
                items += [i for i in template.vqa_items(fig, labels[fig.id], n_options, seed, license=source.license,
                                                        filename=source.filename) if i.question_type in types]
        if "exam_mcq" in types:
            for q in ws.records("question", sha):
                item = template.exam_item(q, labels.get(q.id), seed, source.license, source.filename)
                if item is not None:
                    items.append(item)
        template.deal_answers(items)
        kept, dropped = check(ws, items)
        with ws.document(STAGE, sha, kinds=("item",)) as out:
            out.put_records(kept)
            out.commit(version, {"item": len(kept), "dropped": dropped})
        results.append(GenerateResult(source.filename, "done", len(kept), dropped))
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
    size = _image_size(ws)
    kept, dropped = [], 0
    for item in items:
        flags = qc.item_flags(item, size)
        item.qc = {"passed": not any(f["severity"] == "drop" for f in flags), "flags": flags}
        if item.qc["passed"]:
            kept.append(item)
        else:
            dropped += 1
    return kept, dropped


def qc_report(ws: Workspace) -> dict:
    """The whole workspace's items: checks across documents, flag counts, letter balance, per type."""
    items = list(ws.records("item"))
    cross = qc.collection_flags(items, image_hash=lambda p: qc.dhash(ws.path(p)))
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
    }
    write_atomic(ws.path("reports/qc.json"), (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode())
    lines = [f"# QC report: {len(items)} items", "", f"Dropped at generation: {dropped}", "",
             "| question type | items |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(report["by_type"].items())]
    lines += ["", "| check | flags |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(flags.items())]
    lines += ["", "Answer letters (share per letter, by option count):", ""]
    for n, info in report["letter_balance"].items():
        lines.append(f"- {n} options, {info['items']} items: " + ", ".join(f"{k} {v:.0%}" for k, v in info["shares"].items())
                     + (f" — over 30%: {', '.join(info['over_limit'])}" if info["over_limit"] else ""))
    write_atomic(ws.path("reports/qc.md"), ("\n".join(lines) + "\n").encode())
    return report
