"""The review round trip: items out to Label Studio as tasks, annotations back as review records.

Push is idempotent through Label Studio itself: every task carries its item's id and content hash,
so a second push sends only items that are new or changed since (a changed item gets a task of its
own; the task its old version had, and the annotations on it, stay). Pull merges every annotation
version into the workspace's review records and never drops one: not when an item changed since it
was sent, not when a task was deleted in Label Studio (that is reported and the item's state kept).
"""
from __future__ import annotations

import base64
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from annotation.client import ReviewError, guarded
from annotation.config import LABEL_CONFIG
from builder.records import Item, Review, content_hash
from builder.tagging import to_check
from builder.workspace import Workspace

STAGE = "review"
PLACEHOLDER = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+"
               "ip1sAAAAASUVORK5CYII=")


@dataclass
class PushResult:
    project: str
    project_id: int
    sent: int = 0
    unchanged: int = 0
    changed: int = 0


@dataclass
class PullResult:
    project: str
    tasks: int = 0
    annotations: int = 0
    new_annotations: int = 0
    reviews: int = 0
    deleted_tasks: list[int] = field(default_factory=list)
    states: dict = field(default_factory=dict)


def find_project(client, title: str, create: bool) -> int:
    for project in guarded(lambda: list(client.projects.list()), "listing projects"):
        if project.title == title:
            return project.id
    if not create:
        raise ReviewError(f"no Label Studio project named {title!r}; push items to it first")
    project = guarded(lambda: client.projects.create(title=title, label_config=LABEL_CONFIG), "creating the project")
    return project.id


def _current_config(client, project_id: int) -> None:
    """A project made by an earlier version gets today's interface (it only adds what reviewers see)."""
    project = guarded(lambda: client.projects.get(id=project_id), "reading the project")
    if project.label_config != LABEL_CONFIG:
        guarded(lambda: client.projects.update(id=project_id, label_config=LABEL_CONFIG), "updating the interface")


def labels_summary(labels: dict) -> tuple[str, float | None]:
    """What the tagger said, one line per facet, a label to check (tagging.to_check) marked; and the
    lowest confidence (a Data Manager column to sort by, so that the least certain come first)."""
    lines, lowest = [], None
    for facet, label in labels.items():
        confidence = label.get("confidence")
        mark = "  (check)" if to_check(label) else ""
        conf = f", confidence {confidence:.2f}" if confidence is not None else ""
        line = f"{facet}: {' > '.join(label.get('path') or [label['name']])} [{label['id']}]{conf}{mark}"
        other = label.get("alternative")
        if other:
            line += f"; or {' > '.join(other.get('path') or [other['name']])} [{other['id']}]"
        lines.append(line)
        if confidence is not None:
            lowest = confidence if lowest is None else min(lowest, confidence)
    return "\n".join(lines) or "(no labels)", lowest


def _tasks(client, project_id: int) -> list:
    return guarded(lambda: list(client.tasks.list(project=project_id, fields="all")), "listing tasks")


def task_data(ws: Workspace, item: Item) -> dict:
    """Everything the reviewer sees; every picture goes in, embedded (no file serving needed)."""
    images = ["data:image/png;base64," + base64.b64encode(ws.path(p).read_bytes()).decode() for p in item.images]
    shown, lowest = labels_summary(item.labels)
    return {"item_id": item.id, "item_hash": content_hash(item), "source_sha256": item.source["source_sha256"],
            "question_type": item.question_type, "question": item.question,
            "options_text": "\n".join(f"{o.label}: {o.text}" for o in item.options), "answer": item.answer,
            "source": f"{item.source.get('filename') or item.source['source_sha256'][:12]} p{item.source['page']}",
            "images": images or [PLACEHOLDER], "image_count": len(item.images),
            "labels_text": shown, "label_confidence": lowest}


def push(ws: Workspace, client, title: str, batch: int = 100) -> PushResult:
    project_id = find_project(client, title, create=True)
    _current_config(client, project_id)
    sent_versions = {(t.data.get("item_id"), t.data.get("item_hash")): t for t in _tasks(client, project_id)}
    sent_items = {item_id for item_id, _ in sent_versions}
    result = PushResult(title, project_id)
    new = []
    for item in sorted(ws.records("item"), key=lambda i: i.id):
        if not item.qc.get("passed", True):
            continue
        key = (item.id, content_hash(item))
        if key in sent_versions:
            result.unchanged += 1
            task = sent_versions[key]
            if "labels_text" not in task.data:      # sent by an earlier version: give it the labels to show
                guarded(lambda: client.tasks.update(id=task.id, data=task_data(ws, item)), "updating a task")
            continue
        if item.id in sent_items:
            result.changed += 1
        new.append(task_data(ws, item))
    for start in range(0, len(new), batch):
        chunk = [{"data": d} for d in new[start:start + batch]]
        guarded(lambda: client.projects.import_tasks(id=project_id, request=chunk, return_task_ids=True),
                "importing tasks")
    result.sent = len(new)
    return result


def _texts(results: list[dict]) -> dict:
    out: dict = {}
    for r in results:
        name, value = r.get("from_name"), r.get("value", {})
        if "choices" in value:
            out[name] = value["choices"][0] if value["choices"] else None
        elif "text" in value:
            text = value["text"]
            out[name] = "\n".join(text) if isinstance(text, list) else text
    return out


def parse_annotation(task: dict, ann: dict, people: dict | None = None) -> dict:
    fields = _texts(ann.get("result", []))
    who = ann.get("completed_by")
    annotator = (who.get("email") or str(who.get("id"))) if isinstance(who, dict) else (people or {}).get(who, str(who))
    options = fields.get("edited_options")
    return {
        "annotation_id": int(ann["id"]), "task_id": int(task["id"]), "item_hash": task["data"].get("item_hash", ""),
        "annotator": annotator, "created_at": str(ann.get("created_at", "")),
        "updated_at": str(ann.get("updated_at") or ann.get("created_at", "")),
        "verdict": fields.get("verdict") or "none", "answer": fields.get("answer"), "reason": fields.get("reason"),
        "edited_question": fields.get("edited_question") or None,
        "edited_options": [l.strip() for l in options.splitlines() if l.strip()] if options else None,
        "labels": fields.get("labels"), "comment": fields.get("comment"),
    }


def judge(annotations: list[dict], item: Item | None) -> tuple[str, float | None]:
    """The item's state from its annotators' latest word on its current content."""
    if item is None:
        return "pending", None
    current = content_hash(item)
    latest: dict[str, dict] = {}
    for a in sorted(annotations, key=lambda a: (a["updated_at"], a["annotation_id"])):
        if a["item_hash"] == current and a["verdict"] != "none":
            latest[a["annotator"]] = a
    if not latest:
        return "pending", None
    opinions = [(a["verdict"], a["answer"] if a["answer"] not in (None, item.answer) else None) for a in latest.values()]
    pairs = list(combinations(opinions, 2))
    agreement = round(sum(x == y for x, y in pairs) / len(pairs), 3) if pairs else None
    if len(set(opinions)) > 1:
        return "disagreement", agreement
    verdict, other_answer = opinions[0]
    if verdict == "reject":
        return "rejected", agreement
    if verdict == "edit" or other_answer is not None:
        return "edited", agreement
    return "accepted", agreement


def pull(ws: Workspace, client, title: str) -> PullResult:
    project_id = find_project(client, title, create=False)
    raw = b"".join(guarded(lambda: list(client.projects.exports.download_sync(
        project_id, export_type="JSON", download_all_tasks=True)), "exporting annotations"))
    tasks = json.loads(raw or b"[]")
    people = {u.id: u.email or u.username for u in guarded(lambda: list(client.users.list()), "listing users")}
    result = PullResult(title, tasks=len(tasks))
    items = {i.id: i for i in ws.records("item")}
    previous = {r.item_id: r for r in ws.records("review") if r.project == title}
    merged: dict[str, dict] = {iid: {"tasks": {t["task_id"]: dict(t) for t in r.tasks},
                                     "annotations": {(a["annotation_id"], a["updated_at"]): a for a in r.annotations},
                                     "source": r.source_sha256}
                               for iid, r in previous.items()}
    seen_tasks = set()
    for task in tasks:
        data = task.get("data", {})
        iid = data.get("item_id")
        if not iid:
            continue
        seen_tasks.add(int(task["id"]))
        entry = merged.setdefault(iid, {"tasks": {}, "annotations": {}, "source": data.get("source_sha256", "")})
        entry["tasks"][int(task["id"])] = {"task_id": int(task["id"]), "item_hash": data.get("item_hash", ""),
                                           "deleted": False}
        for ann in task.get("annotations", []):
            if ann.get("was_cancelled"):
                continue
            parsed = parse_annotation(task, ann, people)
            key = (parsed["annotation_id"], parsed["updated_at"])
            result.annotations += 1
            if key not in entry["annotations"]:
                result.new_annotations += 1
            entry["annotations"][key] = parsed
    for entry in merged.values():
        for tid, t in entry["tasks"].items():
            if tid not in seen_tasks and not t["deleted"]:
                t["deleted"] = True
                result.deleted_tasks.append(tid)
    by_source: dict[str, list[Review]] = defaultdict(list)
    for iid, entry in merged.items():
        annotations = sorted(entry["annotations"].values(), key=lambda a: (a["updated_at"], a["annotation_id"]))
        status, agreement = judge(annotations, items.get(iid))
        source = entry["source"] or (items[iid].source["source_sha256"] if iid in items else "")
        by_source[source].append(Review(id=f"{iid}-review", item_id=iid, source_sha256=source, project=title,
                                        tasks=sorted(entry["tasks"].values(), key=lambda t: t["task_id"]),
                                        annotations=annotations, status=status, agreement=agreement))
    for sha, reviews in by_source.items():
        with ws.document(STAGE, sha, kinds=("review",)) as out:
            keep = [r for r in ws.records("review", sha) if r.project != title]
            out.put_records(keep + reviews)
            out.commit(f"pull:{title}", {"review": len(keep) + len(reviews)})
    result.reviews = sum(len(v) for v in by_source.values())
    result.states = dict(Counter(r.status for v in by_source.values() for r in v))
    return result


def status(ws: Workspace) -> dict:
    reviews = list(ws.records("review"))
    items = list(ws.records("item"))
    reviewed = {r.item_id for r in reviews}
    annotators: Counter = Counter()
    for r in reviews:
        for a in r.annotations:
            annotators[a["annotator"]] += 1
    agreements = [r.agreement for r in reviews if r.agreement is not None]
    states = Counter(r.status for r in reviews)
    states["pending"] += sum(1 for i in items if i.id not in reviewed)
    return {"items": len(items), "states": dict(states), "annotations_per_annotator": dict(annotators),
            "mean_agreement": round(sum(agreements) / len(agreements), 3) if agreements else None,
            "disagreements": sorted(r.item_id for r in reviews if r.status == "disagreement"),
            "deleted_tasks": sorted(t["task_id"] for r in reviews for t in r.tasks if t["deleted"])}


def reviewed_items(ws: Workspace) -> list[Item]:
    """Items with their review state applied: edits replace the text (the original stays in the item
    record), and the state comes from the latest annotations on the item's current content."""
    reviews = {r.item_id: r for r in ws.records("review")}
    out = []
    for item in ws.records("item"):
        review = reviews.get(item.id)
        if review is None or review.status == "pending":
            out.append(item)
            continue
        current = content_hash(item)
        mine = [a for a in review.annotations if a["item_hash"] == current]
        item.review_status = {"accepted": "accepted", "edited": "edited", "rejected": "rejected",
                              "disagreement": "pending"}[review.status]
        corrections = [a["labels"] for a in mine if a.get("labels")]
        if corrections:
            item.labels = apply_label_corrections(item.labels, corrections[-1])
        if review.status == "edited" and mine:
            last = mine[-1]
            if last.get("edited_question"):
                item.question = last["edited_question"]
            if last.get("edited_options"):
                from builder.records import Option
                item.options = [Option(*_split_option(line, k)) for k, line in enumerate(last["edited_options"])]
            if last.get("answer"):
                item.answer = last["answer"]
        out.append(item)
    return out


def apply_label_corrections(labels: dict, text: str) -> dict:
    """'modality=mod.ct anatomy=ana.lung' from a reviewer replaces those facets' labels."""
    from taxonomy.model import FACETS, load
    taxonomy = load()
    out = dict(labels)
    for facet, node_id in re.findall(r"(\w+)\s*=\s*([a-z]{3}\.[\w.]+)", text):
        if facet in FACETS and node_id in taxonomy.facets[facet].nodes:
            node = taxonomy.facets[facet].nodes[node_id]
            out[facet] = {"id": node_id, "name": node.name, "path": taxonomy.facets[facet].path(node_id),
                          "confidence": 1.0}
    return out


def _split_option(line: str, k: int) -> tuple[str, str]:
    m = re.match(r"^\s*([A-J])\s*[:.)]\s*(.*)$", line)
    return (m.group(1), m.group(2)) if m else ("ABCDEFGHIJ"[k], line.strip())
