"""Releases: a versioned dataset folder in the Hugging Face Hub's repo layout, verified before use.

``releases/<version>/`` holds one Parquet shard per config and split (``<config>/<split>-00000-of-00001
.parquet``; images embedded with the ``datasets`` Image feature), a dataset card ``README.md`` whose YAML
declares the configs, ``CHANGELOG.md`` against the previous release, ``manifest.json`` (item ids and
content hashes), and exports in MedBookVQA's (``exports/medbookvqa/data.json`` + ``figures/``) and
HealthQA-BR's (``exports/healthqa_br.csv``) formats. A release is written to a staging folder, loaded
back with ``datasets.load_dataset`` and compared row by row with the workspace, and only then moved into
place; an existing version is never overwritten.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from builder.records import Item, content_hash
from builder.tagging import LOW_CONFIDENCE, to_check
from builder.workspace import Workspace, now_iso
from taxonomy.model import FACETS as LABEL_FACETS

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
CONFIGS = {"vqa": "vqa", "mcq": "exam_mcq"}
MEDBOOKVQA_TYPES = {"modality_recognition": "Modality Recognition", "disease_classification": "Disease Classification",
                    "anatomy_identification": "Anatomy Identification", "symptom_diagnosis": "Symptom Diagnosis",
                    "surgery_operation": "Surgery & Operation"}


class PublishError(RuntimeError):
    pass


@dataclass
class Release:
    version: str
    path: Path
    counts: dict[str, dict[str, int]]
    changelog: dict = field(default_factory=dict)


def select(items: list[Item], statuses: tuple[str, ...]) -> list[Item]:
    """The release policy: which review states go in; items that failed QC never do."""
    return sorted((i for i in items if i.review_status in statuses and i.qc.get("passed", True)), key=lambda i: i.id)


def stratum(item: Item) -> str:
    """What a split should hold in proportion: question type and modality or specialty category."""
    facet = "modality" if item.kind == "vqa" else "specialty"
    return f"{item.question_type}:{(item.labels.get(facet, {}).get('path') or ['-'])[0]}"


def assign_splits(items: list[Item], ratios: dict[str, float], image_key) -> dict[str, str]:
    """Split by groups that cannot leak: items sharing a source document or an image stay together.
    Groups are dealt largest first, each to the split furthest below its share of the group's stratum
    (question type and label category), then of the whole: stratified where the counts allow."""
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a, b):
        parent[find(a)] = find(b)

    for item in items:
        join(item.id, "doc:" + item.source["source_sha256"])
        for path in item.images:
            join(item.id, "img:" + image_key(path))
    groups: dict[str, list[str]] = defaultdict(list)
    for item in items:
        groups[find(item.id)].append(item.id)
    by_id = {i.id: i for i in items}
    group_stratum = {g: Counter(stratum(by_id[i]) for i in members).most_common(1)[0][0] for g, members in groups.items()}
    stratum_total = Counter()
    for g, members in groups.items():
        stratum_total[group_stratum[g]] += len(members)
    total = len(items) or 1
    filled = {s: 0 for s in ratios}
    filled_in: dict[tuple[str, str], int] = defaultdict(int)
    out = {}
    for root in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        st = group_stratum[root]
        split = min(ratios, key=lambda s: (filled_in[(st, s)] / stratum_total[st] - ratios[s],
                                           filled[s] / total - ratios[s], s))
        for iid in groups[root]:
            out[iid] = split
        filled[split] += len(groups[root])
        filled_in[(st, split)] += len(groups[root])
    return out


def _row(item: Item, ws: Workspace, withhold: bool) -> dict:
    images = []
    for path in item.images:
        with open(ws.path(path), "rb") as fh:
            images.append({"bytes": fh.read(), "path": Path(path).name})
    labels = item.labels
    return {
        "id": item.id, "question_type": item.question_type, "question": item.question,
        "options": [o.text for o in item.options], "option_labels": [o.label for o in item.options],
        "answer": "" if withhold else item.answer,
        "images": images,
        "modality": labels.get("modality", {}).get("name", ""), "anatomy": labels.get("anatomy", {}).get("name", ""),
        "specialty": labels.get("specialty", {}).get("name", ""),
        "profession": labels.get("profession", {}).get("name", ""),
        "modality_path": labels.get("modality", {}).get("path", []),
        "anatomy_path": labels.get("anatomy", {}).get("path", []),
        "specialty_path": labels.get("specialty", {}).get("path", []),
        # the tagger's confidence (1.0 where a reviewer set the label): per-category scores can be read
        # on the confident labels alone
        **{f"{facet}_confidence": labels.get(facet, {}).get("confidence") for facet in LABEL_FACETS},
        "license": item.license or "", "source_file": item.source.get("filename", ""),
        "source_sha256": item.source["source_sha256"], "source_page": item.source["page"],
        "source_record": item.source["record_id"], "caption": item.source.get("caption") or "",
        "generator": f"{item.generator['name']}-{item.generator['version']}", "review_status": item.review_status,
    }


def _quiet_datasets():
    """No progress bars in our output. (Loading a release folder reads local files only; offline mode is
    not switched on, since huggingface_hub fixes it at import and a push may follow in this process.)"""
    import datasets
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()


def _features():
    from datasets import Features, Image, Sequence, Value
    strings = ["id", "question_type", "question", "answer", "modality", "anatomy", "specialty", "profession",
               "license", "source_file", "source_sha256", "source_record", "caption", "generator", "review_status"]
    spec = {k: Value("string") for k in strings}
    spec.update({"options": Sequence(Value("string")), "option_labels": Sequence(Value("string")),
                 "images": Sequence(Image()), "source_page": Value("int32"),
                 "modality_path": Sequence(Value("string")), "anatomy_path": Sequence(Value("string")),
                 "specialty_path": Sequence(Value("string"))})
    spec.update({f"{facet}_confidence": Value("float32") for facet in LABEL_FACETS})
    return Features(spec)


def previous_release(ws: Workspace, version: str) -> tuple[str, dict] | None:
    root = ws.path("releases")
    if not root.is_dir():
        return None
    versions = sorted((p.name for p in root.iterdir() if VERSION_RE.match(p.name)),
                      key=lambda v: tuple(int(x) for x in v.split(".")))
    earlier = [v for v in versions if tuple(int(x) for x in v.split(".")) < tuple(int(x) for x in version.split("."))]
    if not earlier:
        return None
    manifest = json.loads((root / earlier[-1] / "manifest.json").read_text("utf-8"))
    return earlier[-1], manifest


def build_release(ws: Workspace, version: str, name: str = "medbench", statuses=("accepted", "edited"),
                  ratios: dict[str, float] | None = None, withhold_test_answers: bool = False) -> Release:
    if not VERSION_RE.match(version):
        raise PublishError(f"version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0)")
    final = ws.path(f"releases/{version}")
    if final.exists():
        raise PublishError(f"{final}: version {version} exists; releases are immutable, publish a new version")
    ratios = ratios or {"test": 1.0}
    from annotation.review import reviewed_items
    items = select(reviewed_items(ws), tuple(statuses))
    if not items:
        raise PublishError(f"{ws.root}: no items with review status {', '.join(statuses)} "
                           "(review them first, or choose with --status)")
    _quiet_datasets()
    staging = ws.path(f"releases/.staging-{version}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        image_key = _image_hasher(ws)
        splits = assign_splits(items, ratios, image_key)
        counts = _write_parquet(ws, staging, items, splits, withhold_test_answers)
        manifest = {"version": version, "created_at": now_iso(), "name": name, "statuses": list(statuses),
                    "splits": ratios, "items": {i.id: {"hash": content_hash(i), "split": splits[i.id],
                                                       "config": CONFIGS[i.kind]} for i in items}}
        prev = previous_release(ws, version)
        changelog = _changelog(prev, manifest)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
        (staging / "CHANGELOG.md").write_text(_changelog_md(version, prev, changelog), "utf-8")
        charts = label_charts(staging / "charts", items)
        (staging / "README.md").write_text(dataset_card(ws, name, version, items, splits, counts, changelog, charts),
                                           "utf-8")
        if withhold_test_answers:
            private = staging.parent / f".private-{version}" / "test-answers.jsonl"
            private.parent.mkdir(parents=True, exist_ok=True)
            private.write_text("".join(json.dumps({"id": i.id, "answer": i.answer}) + "\n"
                                       for i in items if splits[i.id] == "test"), "utf-8")
        export_medbookvqa(ws, staging / "exports" / "medbookvqa", [i for i in items if i.kind == "vqa"])
        export_healthqa_br(staging / "exports" / "healthqa_br.csv", [i for i in items if i.kind == "mcq"])
        verify(staging, items, splits, withhold_test_answers)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(version, final, counts, changelog)


def _image_hasher(ws: Workspace):
    cache: dict[str, str] = {}

    def key(path: str) -> str:
        if path not in cache:
            cache[path] = hashlib.sha256(ws.path(path).read_bytes()).hexdigest()
        return cache[path]
    return key


def _write_parquet(ws, folder: Path, items: list[Item], splits: dict[str, str], withhold: bool) -> dict:
    from datasets import Dataset
    counts: dict[str, dict[str, int]] = {}
    features = _features()
    for kind, config in CONFIGS.items():
        for split in sorted(set(splits.values())):
            rows = [_row(i, ws, withhold and split == "test") for i in items if i.kind == kind and splits[i.id] == split]
            if not rows:
                continue
            ds = Dataset.from_list(rows, features=features)
            target = folder / config / f"{split}-00000-of-00001.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            ds.to_parquet(str(target))
            counts.setdefault(config, {})[split] = len(rows)
    return counts


def verify(folder: Path, items: list[Item], splits: dict[str, str], withhold: bool) -> None:
    """Load the release the way users will, and compare it with the workspace row by row. A cache of its
    own: datasets keys a local folder's cache by the folder's name and its file patterns, so a release
    of the same version built earlier would lend its columns to this one."""
    import tempfile

    from datasets import load_dataset
    by_id = {i.id: i for i in items}
    seen = 0
    with tempfile.TemporaryDirectory(prefix="release-check-") as cache:
        for config in sorted({CONFIGS[i.kind] for i in items}):
            loaded = load_dataset(str(folder), config, cache_dir=cache)
            for split, ds in loaded.items():
                if set(ds.column_names) != set(_features()):
                    raise PublishError(f"release check: {config}/{split} has columns {sorted(ds.column_names)}")
                for row in ds:
                    item = by_id.get(row["id"])
                    if item is None or splits[item.id] != split or CONFIGS[item.kind] != config:
                        raise PublishError(f"release check: {row['id']} is not an item of {config}/{split}")
                    expected_answer = "" if (withhold and split == "test") else item.answer
                    if (row["question"] != item.question or row["options"] != [o.text for o in item.options]
                            or row["answer"] != expected_answer or len(row["images"]) != len(item.images)):
                        raise PublishError(f"release check: {row['id']} differs from the workspace")
                    seen += 1
            del loaded
    if seen != len(items):
        raise PublishError(f"release check: {seen} rows loaded, {len(items)} items selected")


def _changelog(prev, manifest: dict) -> dict:
    if prev is None:
        return {"previous": None, "added": sorted(manifest["items"]), "removed": [], "corrected": []}
    _, old = prev
    new_items, old_items = manifest["items"], old["items"]
    return {"previous": old["version"], "added": sorted(set(new_items) - set(old_items)),
            "removed": sorted(set(old_items) - set(new_items)),
            "corrected": sorted(i for i in set(new_items) & set(old_items) if new_items[i]["hash"] != old_items[i]["hash"])}


def _changelog_md(version: str, prev, change: dict) -> str:
    head = f"# {version}\n\n" + (f"Against {change['previous']}:" if prev else "First release.") + "\n\n"
    lines = [f"- added: {len(change['added'])} items", f"- removed: {len(change['removed'])} items",
             f"- corrected (errata): {len(change['corrected'])} items"]
    for what in ("removed", "corrected"):
        if change[what]:
            lines.append(f"\n{what.capitalize()}:\n" + "\n".join(f"- {i}" for i in change[what]))
    return head + "\n".join(lines) + "\n"


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def label_charts(folder: Path, items: list[Item]) -> list[str]:
    """Bar charts of the label categories per facet, for the card."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for facet in ("modality", "anatomy", "specialty"):
        c = Counter(i.labels.get(facet, {}).get("path", ["(none)"])[0] for i in items).most_common(15)
        fig, ax = plt.subplots(figsize=(7, 0.3 * max(len(c), 3) + 1))
        ax.barh([k for k, _ in c][::-1], [v for _, v in c][::-1], color="#3b7dd8")
        ax.set_title(f"{facet} (items per category)", fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        fig.tight_layout()
        fig.savefig(folder / f"{facet}.png", dpi=100)
        plt.close(fig)
        names.append(f"charts/{facet}.png")
    return names


def dataset_card(ws: Workspace, name: str, version: str, items: list[Item], splits: dict[str, str],
                 counts: dict, changelog: dict, charts: list[str] = ()) -> str:
    licences = sorted({i.license or "unknown" for i in items})
    languages = sorted({s.language for s in ws.sources() if s.language} or {"en"})
    tasks = sorted({"visual-question-answering" if i.kind == "vqa" else "multiple-choice" for i in items})
    configs = []
    for config, by_split in sorted(counts.items()):
        files = "\n".join(f"  - split: {s}\n    path: {config}/{s}-*.parquet" for s in sorted(by_split))
        configs.append(f"- config_name: {config}\n  data_files:\n{files}")
    yaml = "\n".join([
        "---",
        f"license: {licences[0].lower() if len(licences) == 1 and licences[0] != 'unknown' else 'other'}",
        "language:", *[f"- {l.split('-')[0]}" for l in languages],
        "task_categories:", *[f"- {t}" for t in tasks],
        "size_categories:", f"- {_size_category(len(items))}",
        "tags:", "- medical", "- benchmark", "- medbench-builder",
        "configs:", *configs, "---", ""])
    sources = {s.sha256: s for s in ws.sources()}
    used = Counter(i.source["source_sha256"] for i in items)
    rows = "\n".join(f"| {sources[s].filename if s in sources else s[:12]} | {s[:12]} | "
                     f"{(sources[s].license if s in sources else None) or 'unknown'} | {n} |" for s, n in used.most_common())
    facet_tables = []
    for facet in LABEL_FACETS:
        c = Counter(i.labels.get(facet, {}).get("path", ["(none)"])[0] for i in items)
        low = Counter(i.labels[facet]["path"][0] for i in items if to_check(i.labels.get(facet)))
        facet_tables.append(f"**{facet}** (category: items; items whose label's confidence, in the "
                            f"`{facet}_confidence` column, is under {LOW_CONFIDENCE})\n\n"
                            f"| category | items | under {LOW_CONFIDENCE} |\n|---|---|---|\n" +
                            "\n".join(f"| {k} | {v} | {low[k]} |" for k, v in c.most_common()))
    qc_flags = Counter(f["check"] for i in items for f in i.qc.get("flags", []))
    review_counts = Counter(i.review_status for i in items)
    gens = sorted({f"{i.generator['name']}-{i.generator['version']}" + (f" ({i.generator['model']})"
                   if i.generator.get("model") else "") for i in items})
    stage_versions = sorted({f"{stage}: {m.version}" for sha in used for stage in ("extract", "tag")
                             if (m := ws.done_marker(stage, sha)) is not None})
    reviews = [r for r in ws.records("review") if r.item_id in {i.id for i in items}]
    reviewers = Counter(a["annotator"] for r in reviews for a in r.annotations)
    agreements = [r.agreement for r in reviews if r.agreement is not None]
    split_counts = Counter(splits.values())
    body = f"""# {name} {version}

Built with MedBench Builder from {len(used)} source documents: {len(items)} items
({', '.join(f'{v} {k}' for k, v in sorted(Counter(i.question_type for i in items).items()))}).
Splits: {', '.join(f'{k} {v}' for k, v in sorted(split_counts.items()))} (grouped by source document
and by image, so no document or picture is in two splits).

## Sources

| file | sha256 | licence | items |
|---|---|---|---|
{rows}

Every row also carries its own `license`, `source_file`, `source_sha256`, `source_page` and
`source_record` columns.

## How it was built

Stages: {'; '.join(stage_versions) or 'unknown'}; generation by {', '.join(gens)}.
Review status of the released items: {', '.join(f'{v} {k}' for k, v in sorted(review_counts.items()))}.
Reviewers (annotations): {', '.join(f'{k} ({v})' for k, v in reviewers.most_common()) or 'none yet'};
mean agreement where several reviewed an item: {round(sum(agreements) / len(agreements), 3) if agreements else 'n/a'}.

## Labels

{chr(10).join(facet_tables)}

{chr(10).join(f"![{Path(c).stem}]({c})" for c in charts)}

## Quality control

Flags on released items: {', '.join(f'{k} {v}' for k, v in sorted(qc_flags.items())) or 'none'}.
Answer letters: {', '.join(f'{k} {v}' for k, v in sorted(Counter(i.answer for i in items).items()))}.

## Changes

{len(changelog['added'])} added, {len(changelog['removed'])} removed, {len(changelog['corrected'])} corrected
against {changelog['previous'] or 'nothing (first release)'}; see CHANGELOG.md.

## Use

```python
from datasets import load_dataset
ds = load_dataset("ORG/{name}", "{sorted(counts)[0] if counts else 'vqa'}", revision="v{version}")
```
"""
    return yaml + body


def export_medbookvqa(ws: Workspace, folder: Path, items: list[Item]) -> None:
    """MedBookVQA's layout: data.json records with Question, Answer, 3 Distractors, image_path."""
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    records = []
    for item in items:
        texts = {o.label: o.text for o in item.options}
        paths = []
        for path in item.images:
            target = figures / Path(path).name
            shutil.copyfile(ws.path(path), target)
            paths.append(f"figures/{target.name}")
        labels = item.labels
        records.append({
            "id": item.id, "QAtype": MEDBOOKVQA_TYPES.get(item.question_type, item.question_type),
            "Question": item.question, "Answer": texts[item.answer],
            "Distractors": [t for k, t in texts.items() if k != item.answer],
            "correct_choice": item.answer, "image_path": paths[0] if paths else None,
            "LABEL": {"Modality": labels.get("modality", {}).get("path", [])[:2],
                      "Anatomy": labels.get("anatomy", {}).get("path", []),
                      "Department": labels.get("specialty", {}).get("path", [])[:2]}})
    (folder / "data.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", "utf-8")


def export_healthqa_br(path: Path, items: list[Item]) -> None:
    """HealthQA-BR's columns: question, options A-E, answer, profession, specialty, source, year."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "question", "A", "B", "C", "D", "E", "answer", "profession", "specialty", "source", "page"])
    for item in items:
        texts = {o.label: o.text for o in item.options}
        w.writerow([item.id, item.question, *(texts.get(l, "") for l in "ABCDE"), item.answer,
                    item.labels.get("profession", {}).get("name", ""), item.labels.get("specialty", {}).get("name", ""),
                    item.source.get("filename", ""), item.source["page"]])
    path.write_text(buf.getvalue(), "utf-8")


_NETWORK_LIBRARIES = {"httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3", "huggingface_hub"}


def push_release(ws: Workspace, version: str, repo_id: str, private: bool = False, token: str | None = None) -> dict:
    """Upload ``releases/<version>/`` to a dataset repo and tag the commit ``v<version>``.

    The token comes from the environment (HF_TOKEN) or the user's saved login unless given. A failed
    push leaves the local release as it was; pushing again resumes (a version already tagged on the
    Hub is not uploaded twice).
    """
    folder = ws.path(f"releases/{version}")
    if not folder.is_dir():
        raise PublishError(f"{folder}: no such release; build it first (builder publish --version {version})")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.utils import disable_progress_bars
    disable_progress_bars()
    api = HfApi(token=token)
    tag = f"v{version}"
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        try:
            tags = {t.name for t in api.list_repo_refs(repo_id, repo_type="dataset").tags}
        except HfHubHTTPError:
            tags = set()
        if tag in tags:
            return {"repo": repo_id, "tag": tag, "status": "already pushed"}
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                   commit_message=f"Release {version}")
        api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type="dataset",
                       tag_message=f"MedBench Builder release {version}")
    except Exception as exc:  # the network edge: HTTP and transport failures of whichever client library
        if not (isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in _NETWORK_LIBRARIES):
            raise
        reason = str(exc).splitlines()[0][:200]
        raise PublishError(f"push of {version} to {repo_id} failed ({type(exc).__name__}: {reason}); "
                           f"the local release {folder} is intact; run the same command again to resume") from None
    record = {"repo": repo_id, "tag": tag, "commit": commit.oid, "pushed_at": now_iso(), "private": private}
    from builder.workspace import dump_json, write_atomic
    write_atomic(ws.path(f"releases/.pushed-{version}.json"), dump_json(record))
    return {**record, "status": "pushed"}
