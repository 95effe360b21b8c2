"""The review round trip against a real Label Studio, started from its own virtualenv by the tests."""
import json

import pytest

from builder.workspace import Workspace

from conftest import corpus_file, free_port, run_builder, script_server

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    data = tmp_path_factory.mktemp("ls")
    with script_server("labelstudio", data, {"LS_DATA": str(data), "LABEL_STUDIO_USER_TOKEN": TOKEN}) as (port, _):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, label_studio):
    """A workspace with items pushed, annotated by two annotators through the API, and pulled."""
    from label_studio_sdk import LabelStudio
    ws = tmp_path_factory.mktemp("rev") / "w"
    run_builder("extract", str(corpus_file("art_jmcr2025_probable_neuro_mri_ccbyncnd.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    run_builder("generate", "-w", str(ws), check=True)
    env = {"LABEL_STUDIO_URL": label_studio, "LABEL_STUDIO_API_KEY": TOKEN}
    first = json.loads(run_builder("review", "push", "--project", "mri", "-w", str(ws), "--json", env=env,
                                   check=True).stdout)
    client = LabelStudio(base_url=label_studio, api_key=TOKEN)
    second = client.users.create(username="second", email="second@medbench.local", password="second-pass-2026")
    tasks = sorted(client.tasks.list(project=first["project_id"], fields="all"), key=lambda t: t.data["item_id"])

    def result(verdict, answer=None, **texts):
        r = [{"from_name": "verdict", "to_name": "question", "type": "choices", "value": {"choices": [verdict]}}]
        if answer:
            r.append({"from_name": "answer", "to_name": "question", "type": "choices", "value": {"choices": [answer]}})
        for name, text in texts.items():
            r.append({"from_name": name, "to_name": "question", "type": "textarea", "value": {"text": [text]}})
        return r

    plan = {
        0: [("accept", None, {}), ("accept", None, {})],
        1: [("reject", None, {"reason": "two options are correct"})],
        2: [("edit", None, {"edited_question": "Which MRI sequence and modality is shown?"})],
        3: [("accept", None, {}), ("reject", None, {"reason": "image unreadable"})],
    }
    for k, anns in plan.items():
        for who, (verdict, answer, texts) in zip((None, second.id), anns):
            kwargs = {"completed_by": who} if who else {}
            client.annotations.create(id=tasks[k].id, result=result(verdict, answer, **texts), **kwargs)
    pulled = json.loads(run_builder("review", "pull", "--project", "mri", "-w", str(ws), "--json", env=env,
                                    check=True).stdout)
    return ws, env, first, pulled, client, tasks


def test_push_is_idempotent_and_sends_changed_items(reviewed):
    ws, env, first, _, client, _ = reviewed
    n_items = len(list(Workspace.open(ws, create=False).records("item")))
    assert first["sent"] == n_items > 0
    again = json.loads(run_builder("review", "push", "--project", "mri", "-w", str(ws), "--json", env=env,
                                   check=True).stdout)
    assert again["sent"] == 0 and again["unchanged"] == n_items
    assert len(list(client.tasks.list(project=first["project_id"]))) == n_items


def test_pull_records_every_annotation_with_state_agreement_and_reviewer(reviewed):
    ws, env, _, pulled, _, tasks = reviewed
    assert pulled["annotations"] == 6 and pulled["new_annotations"] == 6
    reviews = {r.item_id: r for r in Workspace.open(ws, create=False).records("review")}
    ids = [t.data["item_id"] for t in tasks]
    assert reviews[ids[0]].status == "accepted" and reviews[ids[0]].agreement == 1.0
    assert reviews[ids[1]].status == "rejected" and reviews[ids[1]].annotations[0]["reason"] == "two options are correct"
    assert reviews[ids[2]].status == "edited"
    assert reviews[ids[3]].status == "disagreement" and reviews[ids[3]].agreement == 0.0
    annotators = {a["annotator"] for r in reviews.values() for a in r.annotations}
    assert annotators == {"reviewer@medbench.local", "second@medbench.local"}
    assert all(a["created_at"] for r in reviews.values() for a in r.annotations)
    status = json.loads(run_builder("review", "status", "-w", str(ws), "--json", check=True).stdout)
    assert status["states"]["accepted"] == 1 and status["disagreements"] == [ids[3]]
    # pulling again adds nothing and loses nothing
    again = json.loads(run_builder("review", "pull", "--project", "mri", "-w", str(ws), "--json", env=env,
                                   check=True).stdout)
    assert again["new_annotations"] == 0
    assert sum(len(r.annotations) for r in Workspace.open(ws, create=False).records("review")) == 6


def test_release_takes_accepted_and_edited_items_with_the_edit(reviewed):
    ws, _, _, _, _, tasks = reviewed
    out = json.loads(run_builder("publish", "-w", str(ws), "--version", "1.0.0", "--json", check=True).stdout)
    assert sum(n for by_split in out["counts"].values() for n in by_split.values()) == 2
    from datasets import load_dataset
    rows = [row for split in load_dataset(str(ws / "releases" / "1.0.0"), "vqa", cache_dir=str(ws / ".hf-cache")).values()
            for row in split]
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {tasks[0].data["item_id"], tasks[2].data["item_id"]}
    assert by_id[tasks[2].data["item_id"]]["question"] == "Which MRI sequence and modality is shown?"
    assert by_id[tasks[2].data["item_id"]]["review_status"] == "edited"
    card = (ws / "releases" / "1.0.0" / "README.md").read_text()
    assert "reviewer@medbench.local" in card and "Stages: extract: " in card


def test_deleted_task_is_reported_and_its_review_kept(reviewed):
    ws, env, _, _, client, tasks = reviewed
    client.tasks.delete(id=str(tasks[1].id))
    proc = run_builder("review", "pull", "--project", "mri", "-w", str(ws), env=env, check=True)
    assert f"task {tasks[1].id} was deleted" in proc.stderr
    review = {r.item_id: r for r in Workspace.open(ws, create=False).records("review")}[tasks[1].data["item_id"]]
    assert review.status == "rejected" and len(review.annotations) == 1 and review.tasks[0]["deleted"]


def test_interrupted_pull_is_completed_by_a_rerun(reviewed, monkeypatch):
    from annotation import review
    from annotation.client import connect
    ws_path, env, *_ = reviewed
    ws = Workspace.open(ws_path, create=False)
    for name in ("review",):
        for f in (ws_path / "records" / name).glob("*.jsonl"):
            f.unlink()  # as if no pull had landed yet
    original = ws.document

    def failing(*args, **kwargs):
        raise KeyboardInterrupt  # stopped before the first commit
    monkeypatch.setattr(ws, "document", failing)
    client = connect(env["LABEL_STUDIO_URL"], env["LABEL_STUDIO_API_KEY"])
    with pytest.raises(KeyboardInterrupt):
        review.pull(ws, client, "mri")
    monkeypatch.setattr(ws, "document", original)
    assert not list(ws.records("review"))
    result = review.pull(ws, client, "mri")
    assert result.annotations == 5  # the deleted task and its annotation are gone from Label Studio
    kept = list(ws.records("review"))
    assert len({r.item_id for r in kept}) == len(kept)


def test_server_down_or_token_refused_is_a_clear_error(reviewed, tmp_path):
    ws, env, *_ = reviewed
    before = sorted(p.name for p in (ws / "records").rglob("*.jsonl"))
    down = run_builder("review", "pull", "--project", "mri", "-w", str(ws), "--url", f"http://127.0.0.1:{free_port()}",
                       env={"LABEL_STUDIO_API_KEY": TOKEN})
    assert down.returncode == 1 and "cannot reach Label Studio" in down.stderr
    bad = "not-the-token-" + "x" * 26
    refused = run_builder("review", "push", "--project", "mri", "-w", str(ws), "--token", bad,
                          env={"LABEL_STUDIO_URL": env["LABEL_STUDIO_URL"]})
    assert refused.returncode == 1 and "refused the token" in refused.stderr
    assert bad not in refused.stderr + refused.stdout and TOKEN not in down.stderr + down.stdout
    assert sorted(p.name for p in (ws / "records").rglob("*.jsonl")) == before


def test_regenerated_item_keeps_its_review_history(reviewed):
    ws, env, first, _, client, tasks = reviewed
    run_builder("generate", "-w", str(ws), "--force", "--seed", "3", check=True)  # new distractor order
    pushed = json.loads(run_builder("review", "push", "--project", "mri", "-w", str(ws), "--json", env=env,
                                    check=True).stdout)
    assert pushed["changed"] > 0 and pushed["sent"] >= pushed["changed"]  # (+ the item whose task was deleted)
    run_builder("review", "pull", "--project", "mri", "-w", str(ws), env=env, check=True)
    reviews = {r.item_id: r for r in Workspace.open(ws, create=False).records("review")}
    accepted_before = reviews[tasks[0].data["item_id"]]
    assert len(accepted_before.annotations) == 2  # the old version's annotations are kept ...
    assert len(accepted_before.tasks) == 2 or accepted_before.status == "accepted"  # ... with a new task if it changed


def test_items_with_several_pictures_send_them_all(tmp_path, label_studio):
    from label_studio_sdk import LabelStudio
    ws = tmp_path / "w"
    run_builder("extract", str(corpus_file("tw_md_101-1_med4_peds_derm.pdf")), "--key",
                str(corpus_file("tw_md_101-1_med4_peds_derm_ANS.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    run_builder("generate", "-w", str(ws), "--types", "exam_mcq", check=True)
    env = {"LABEL_STUDIO_URL": label_studio, "LABEL_STUDIO_API_KEY": TOKEN}
    pushed = json.loads(run_builder("review", "push", "--project", "taiwan-derm", "-w", str(ws), "--json", env=env,
                                    check=True).stdout)
    client = LabelStudio(base_url=label_studio, api_key=TOKEN)
    tasks = list(client.tasks.list(project=pushed["project_id"], fields="all"))
    assert len(tasks) == pushed["sent"] > 70
    two = [t for t in tasks if t.data["image_count"] == 2]
    assert two and all(len(t.data["images"]) == 2 and t.data["images"][0].startswith("data:image/png") for t in two)


def test_label_corrections_from_reviewers_replace_the_tagger_labels():
    from annotation.review import apply_label_corrections
    labels = {"modality": {"id": "mod.mri", "name": "Magnetic resonance imaging", "path": ["Magnetic resonance imaging"]}}
    fixed = apply_label_corrections(labels, "modality=mod.ct.conventional anatomy=ana.lung bogus=mod.x")
    assert fixed["modality"]["id"] == "mod.ct.conventional" and fixed["modality"]["path"][0] == "Computed tomography"
    assert fixed["anatomy"]["name"] == "Lung" and "bogus" not in fixed


def test_reviewers_see_the_tagger_labels_and_can_sort_by_the_least_certain(reviewed):
    ws, _, first, _, client, tasks = reviewed
    items = {i.id: i for i in Workspace.open(ws, create=False).records("item")}
    assert "$labels_text" in client.projects.get(id=first["project_id"]).label_config
    for task in tasks:
        item = items[task.data["item_id"]]
        for facet, label in item.labels.items():
            assert f"{facet}: " in task.data["labels_text"] and f"[{label['id']}]" in task.data["labels_text"]
            if "alternative" in label:      # the likeliest correction is one look away
                assert f"; or {' > '.join(label['alternative']['path'])} [{label['alternative']['id']}]" in \
                    task.data["labels_text"]
        assert task.data["label_confidence"] == min(label["confidence"] for label in item.labels.values())


def test_a_project_made_by_an_earlier_version_gets_the_labels_shown(reviewed):
    from annotation.config import LABEL_CONFIG
    from annotation.review import task_data
    ws, env, _, _, client, _ = reviewed
    old_config = "\n".join(line for line in LABEL_CONFIG.splitlines() if "tagger_labels" not in line
                           and "Taxonomy labels" not in line)
    project = client.projects.create(title="made-before-labels", label_config=old_config)
    workspace = Workspace.open(ws, create=False)
    old_tasks = [{"data": {k: v for k, v in task_data(workspace, item).items()
                           if k not in ("labels_text", "label_confidence")}}
                 for item in workspace.records("item") if item.qc.get("passed", True)]
    client.projects.import_tasks(id=project.id, request=old_tasks, return_task_ids=True)
    pushed = json.loads(run_builder("review", "push", "--project", "made-before-labels", "-w", str(ws), "--json",
                                    env=env, check=True).stdout)
    assert pushed["sent"] == 0 and pushed["unchanged"] == len(old_tasks)
    assert "$labels_text" in client.projects.get(id=project.id).label_config
    tasks = list(client.tasks.list(project=project.id, fields="all"))
    assert len(tasks) == len(old_tasks) and all("[spe." in t.data["labels_text"] for t in tasks)


def test_labels_under_the_threshold_are_marked_for_checking():
    from annotation.review import labels_summary
    text, lowest = labels_summary({
        "modality": {"id": "mod.mri", "name": "MRI", "path": ["Magnetic resonance imaging"], "confidence": 0.9},
        "specialty": {"id": "spe.neurology", "name": "Neurology", "path": ["Neurology and psychiatry", "Neurology"],
                      "confidence": 0.31, "alternative": {"id": "spe.oncology", "name": "Oncology",
                                                          "path": ["Internal medicine", "Oncology"]}}})
    assert lowest == 0.31
    modality, specialty = text.splitlines()
    assert "(check)" not in modality and specialty.endswith("(check); or Internal medicine > Oncology [spe.oncology]")
    assert specialty.startswith("specialty: Neurology and psychiatry > Neurology [spe.neurology]")
