"""Releases: Hub layout, loaded back with datasets, immutable, leak-free splits, changelog, exports."""
import json
import os
from collections import Counter

import pytest

from builder.workspace import Workspace

from conftest import corpus_file, run_builder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = tmp_path_factory.mktemp("pub") / "w"
    run_builder("extract", str(corpus_file("art_jmcr2025_probable_neuro_mri_ccbyncnd.pdf")),
                str(corpus_file("art_jmcr2025_endophthalmitis_ophtho_ccby.pdf")),
                str(corpus_file("tw_md_101-2_med3_internal.pdf")), "--key",
                str(corpus_file("tw_md_101-2_med3_internal_ANS.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    run_builder("generate", "-w", str(ws), check=True)
    return ws


def test_release_loads_back_with_datasets_row_by_row(workspace):
    proc = run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--status", "pending",
                       "--splits", "train=0.6,test=0.4", "--json", check=True)
    release = json.loads(proc.stdout)
    root = workspace / "releases" / "1.0.0"
    assert (root / "README.md").read_text().startswith("---\nlicense:")
    from datasets import load_dataset
    items = {i.id: i for i in Workspace.open(workspace, create=False).records("item")}
    loaded = 0
    splits_of_doc = {}
    for config in release["counts"]:
        for split, ds in load_dataset(str(root), config, cache_dir=str(workspace / ".hf-cache")).items():
            for row in ds:
                item = items[row["id"]]
                assert row["question"] == item.question and row["answer"] == item.answer
                assert row["options"] == [o.text for o in item.options]
                assert len(row["images"]) == len(item.images)
                for facet in ("modality", "anatomy", "specialty", "profession"):
                    expected = item.labels.get(facet, {}).get("confidence")
                    assert row[f"{facet}_confidence"] == (pytest.approx(expected) if expected is not None else None)
                for img in row["images"]:
                    assert img.size[0] > 0  # decoded pictures, embedded in the Parquet file
                splits_of_doc.setdefault(row["source_sha256"], set()).add(split)
                loaded += 1
    assert loaded == len(items)
    assert all(len(s) == 1 for s in splits_of_doc.values()), "a document leaked into two splits"
    card = (root / "README.md").read_text()
    assert "config_name: exam_mcq" in card and "config_name: vqa" in card and "## Sources" in card
    assert "| category | items | under 0.5 |" in card and "`specialty_confidence` column" in card
    exported = json.loads((root / "exports" / "medbookvqa" / "data.json").read_text())
    assert exported and all(len(r["Distractors"]) == 3 for r in exported)
    for r in exported:
        assert (root / "exports" / "medbookvqa" / r["image_path"]).is_file()
    assert (root / "exports" / "healthqa_br.csv").read_text().startswith("id,question,A,B,C,D,E,answer")


def test_versions_are_immutable_and_changes_are_logged(workspace):
    if not (workspace / "releases" / "1.0.0").exists():
        run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--status", "pending", check=True)
    again = run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--status", "pending")
    assert again.returncode == 1 and "immutable" in again.stderr
    run_builder("generate", "-w", str(workspace), "--force", "--seed", "7", check=True)  # other distractors
    out = json.loads(run_builder("publish", "-w", str(workspace), "--version", "1.1.0", "--status", "pending",
                                 "--withhold-test-answers", "--json", check=True).stdout)
    assert out["changelog"]["previous"] == "1.0.0" and out["changelog"]["corrected"] > 0
    assert "corrected (errata)" in (workspace / "releases" / "1.1.0" / "CHANGELOG.md").read_text()
    private = workspace / "releases" / ".private-1.1.0" / "test-answers.jsonl"
    answers = [json.loads(l) for l in private.read_text().splitlines()]
    assert answers and all(a["answer"] in "ABCDEFGHIJ" for a in answers)
    from datasets import load_dataset
    for config in out["counts"]:
        ds = load_dataset(str(workspace / "releases" / "1.1.0"), config, cache_dir=str(workspace / ".hf-cache"))
        if "test" in ds:
            assert all(row["answer"] == "" for row in ds["test"])


def test_nothing_reviewed_yet_is_a_clear_error(workspace):
    proc = run_builder("publish", "-w", str(workspace), "--version", "9.0.0")
    assert proc.returncode == 1 and "no items with review status accepted, edited" in proc.stderr
    bad = run_builder("publish", "-w", str(workspace), "--version", "v1")
    assert bad.returncode == 1 and "MAJOR.MINOR.PATCH" in bad.stderr
    assert not (workspace / "releases" / "9.0.0").exists()


def test_push_to_a_hub_and_load_back_by_tag(workspace, tmp_path):
    """Against the loopback Hub-protocol server (tests/hub_server.py), with the real client libraries."""
    import socket
    import subprocess
    import sys

    import hub_server
    if not (workspace / "releases" / "1.0.0").exists():
        run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--status", "pending", check=True)
    with socket.socket() as s:  # a port nothing listens on: the push must fail cleanly first
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = {"HF_TOKEN": "hf_test", "HF_HOME": str(tmp_path / "hf")}
    failed = run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--push", "--repo", "org/medbench",
                         env={**env, "HF_ENDPOINT": dead})
    assert failed.returncode == 1 and "is intact" in failed.stderr and "run the same command again" in failed.stderr
    assert (workspace / "releases" / "1.0.0" / "README.md").is_file()
    server, url, hub = hub_server.start()
    try:
        env["HF_ENDPOINT"] = url
        pushed = json.loads(run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--push", "--repo",
                                        "org/medbench", "--json", env=env, check=True).stdout)
        assert pushed["push"]["status"] == "pushed" and pushed["push"]["tag"] == "v1.0.0"
        again = json.loads(run_builder("publish", "-w", str(workspace), "--version", "1.0.0", "--push", "--repo",
                                       "org/medbench", "--json", env=env, check=True).stdout)
        assert again["push"]["status"] == "already pushed"
        check = ("import json, sys\nfrom datasets import load_dataset\n"
                 "ds = load_dataset('org/medbench', sys.argv[1], revision='v1.0.0')\n"
                 "print(json.dumps({s: sorted(ds[s]['id']) for s in ds}))")
        local = json.loads((workspace / "releases" / "1.0.0" / "manifest.json").read_text())["items"]
        for config in ("vqa", "exam_mcq"):
            proc = subprocess.run([sys.executable, "-c", check, config], capture_output=True, text=True, timeout=300,
                                  env={**os.environ, **env})
            assert proc.returncode == 0, proc.stderr[-2000:]
            remote = json.loads(proc.stdout.strip().splitlines()[-1])
            for split, ids in remote.items():
                assert ids == sorted(i for i, v in local.items() if v["config"] == config and v["split"] == split)
        # building and pushing in one command
        one = json.loads(run_builder("publish", "-w", str(workspace), "--version", "3.0.0", "--status", "pending",
                                     "--push", "--repo", "org/one-shot", "--json", env=env, check=True).stdout)
        assert one["push"]["status"] == "pushed" and one["counts"]
    finally:
        server.shutdown()


def test_splits_are_grouped_and_stratified_where_counts_allow():
    from builder.publish import assign_splits
    from builder.records import Item, Option

    def item(n, doc, category, image):
        return Item(id=f"item-{n:016x}", kind="vqa", question_type="modality_recognition", question="q",
                    options=[Option("A", "x"), Option("B", "y")], answer="A", images=[image],
                    source={"source_sha256": f"{doc:064x}", "record_id": str(n), "record_kind": "figure", "page": 1},
                    labels={"modality": {"id": "m", "name": category, "path": [category]}},
                    generator={"name": "t", "version": "1", "seed": 0}, license=None, review_status="accepted",
                    qc={"passed": True, "flags": []})
    # 8 documents of CT figures, 8 of MRI figures; two documents share one picture
    items = [item(n, n, "CT" if n < 8 else "MRI", f"img{n}.png") for n in range(16)]
    items.append(item(99, 3, "CT", "img5.png"))  # same picture as document 5, same document as 3
    splits = assign_splits(items, {"train": 0.5, "test": 0.5}, image_key=lambda p: p)
    by_doc = {}
    for i in items:
        by_doc.setdefault(i.source["source_sha256"], set()).add(splits[i.id])
    assert all(len(s) == 1 for s in by_doc.values())
    assert splits["item-" + f"{99:016x}"] == splits["item-" + f"{5:016x}"] == splits["item-" + f"{3:016x}"]
    for category in ("CT", "MRI"):
        got = Counter(splits[i.id] for i in items if i.labels["modality"]["name"] == category)
        assert got["train"] >= 3 and got["test"] >= 3  # each category in both splits
