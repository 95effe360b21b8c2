"""Template generation and quality control, on real extracted and tagged records."""
import json
import random
from collections import Counter

import pytest

from builder.records import Item, Option
from builder.workspace import Workspace
from generators import qc, template
from taxonomy.model import load

from conftest import corpus_file, run_builder


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    ws = tmp_path_factory.mktemp("gen") / "w"
    run_builder("extract", str(corpus_file("art_jmcr2025_probable_neuro_mri_ccbyncnd.pdf")),
                str(corpus_file("br_revalida_2024-2_prova.pdf")), "--key",
                str(corpus_file("br_revalida_2024-2_gabarito.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    report = json.loads(run_builder("generate", "-w", str(ws), "--json", check=True).stdout)
    return ws, report


def test_distractors_are_never_the_answer_its_ancestors_descendants_or_synonyms():
    tax = load()
    for facet in (tax.facets["modality"], tax.facets["anatomy"]):
        for node_id, node in facet.nodes.items():
            picked = template.distractors(facet, node_id, 3, random.Random(1))
            related = {a.id for a in facet.ancestors(node_id)} | template._descendants(facet, node_id) | {node_id}
            assert not related & set(picked), node_id
            names = {facet.nodes[p].name.lower() for p in picked}
            assert node.name.lower() not in names and len(set(picked)) == len(picked)


def test_generated_items_are_valid_stable_and_balanced(generated, tmp_path):
    ws_path, report = generated
    ws = Workspace.open(ws_path, create=False)
    items = list(ws.records("item"))
    by_type = Counter(i.question_type for i in items)
    # 9 MRI figures of the pons: modality and anatomy questions; Revalida: keyed, picture-complete MCQs
    assert by_type["modality_recognition"] >= 9 and by_type["anatomy_identification"] >= 9
    assert 80 <= by_type["exam_mcq"] <= 94  # 100 questions less 6 annulled and those the checks drop
    mri = [i for i in items if i.question_type == "modality_recognition"]
    assert all(dict((o.label, o.text) for o in i.options)[i.answer] == "Magnetic resonance imaging" for i in mri)
    vqa = [i for i in items if i.kind == "vqa" and len(i.options) == 4]
    shares = Counter(i.answer for i in vqa)
    assert max(shares.values()) - min(shares.values()) <= 1  # dealt round-robin
    for i in items:
        Item.from_dict(i.to_dict())
        assert i.review_status == "pending" and i.generator["name"] == "template"
        assert all((ws.root / p).is_file() for p in i.images)
    # each facet's label carries the best label of another category, where the tagger found one
    labels = {l.record_id: l for l in ws.records("labels")}
    for i in items:
        for facet, label in i.labels.items():
            found = labels[i.source["record_id"]].facets[facet]
            assert label["id"] == found[0]["id"]
            assert label.get("alternative", {}).get("id") == (found[1]["id"] if len(found) > 1 else None)
    assert sum("alternative" in i.labels.get("specialty", {}) for i in items) > len(items) / 2
    ids = sorted(i.id for i in items)
    run_builder("generate", "-w", str(ws_path), "--force", check=True)
    assert sorted(i.id for i in ws.records("item")) == ids  # stable under regeneration
    assert (ws.root / "reports" / "qc.md").read_text().startswith("# QC report")


def test_annulled_exam_questions_make_no_items(generated):
    ws_path, _ = generated
    ws = Workspace.open(ws_path, create=False)
    annulled = {q.id for q in ws.records("question") if q.answer_status != "keyed"}
    assert len(annulled) == 6
    assert not annulled & {i.source["record_id"] for i in ws.records("item")}


def _item(**over):
    data = dict(id="item-" + "0" * 16, kind="mcq", question_type="exam_mcq", question="Which drug is first line?",
                options=[Option("A", "Aspirin"), Option("B", "Heparin"), Option("C", "Warfarin")], answer="A",
                images=[], source={"source_sha256": "a" * 64, "record_id": "r", "record_kind": "question", "page": 1},
                labels={}, generator={"name": "t", "version": "1", "seed": 0}, license=None,
                review_status="pending", qc={"passed": True, "flags": []})
    data.update(over)
    return Item(**data)


@pytest.mark.parametrize("over,check,severity", [
    ({"options": [Option("A", "Aspirin"), Option("B", "aspirin")]}, "options", "drop"),
    ({"options": [Option("A", "Aspirin"), Option("B", "")]}, "options", "drop"),
    ({"answer": "E"}, "answer", "drop"),
    ({"question": "Is aspirin the first-line drug?"}, "leakage", "flag"),
    ({"question": "The radiograph is shown. What is the diagnosis?"}, "missing_image", "drop"),
])
def test_checks_name_the_problem(over, check, severity):
    flags = qc.item_flags(_item(**over))
    assert any(f["check"] == check and f["severity"] == severity for f in flags), flags


def test_placeholder_and_synonymous_options_are_caught():
    from taxonomy.lexicon_tagger import LexiconTagger
    letters = _item(kind="vqa", options=[Option(x, x) for x in "ABCD"], answer="B")
    assert ("options", "drop") in {(f["check"], f["severity"]) for f in qc.item_flags(letters)}
    tagger = LexiconTagger()
    same = _item(kind="vqa", options=[Option("A", "MRI"), Option("B", "Computed tomography"),
                                      Option("C", "Magnetic resonance imaging"), Option("D", "Ultrasound")])
    assert [f["reason"] for f in qc.item_flags(same, tagger=tagger) if f["check"] == "synonym_options"] == [
        "'MRI' and 'Magnetic resonance imaging' name the same thing"]
    distinct = _item(kind="vqa", options=[Option("A", "Radiography"), Option("B", "Computed tomography"),
                                          Option("C", "Magnetic resonance imaging"), Option("D", "MRI of the knee")])
    assert not [f for f in qc.item_flags(distinct, tagger=tagger) if f["check"] in ("synonym_options", "options")]


def test_small_images_and_letter_imbalance_are_flagged():
    flags = qc.item_flags(_item(images=["x.png"]), image_size=lambda p: (40, 300))
    assert [f["check"] for f in flags] == ["image"]
    skewed = [_item(id=f"item-{i:016x}") for i in range(20)]
    assert qc.letter_balance(skewed)["3"]["over_limit"] == ["A"]


def test_near_duplicate_questions_are_flagged():
    a = _item(id="item-" + "1" * 16)
    b = _item(id="item-" + "2" * 16, question="Which drug is first line?")
    assert "near_duplicate" in [f["check"] for f in qc.collection_flags([a, b])[b.id]]


def test_generate_before_tag_is_a_clear_error(tmp_path, demo_pdf):
    ws = tmp_path / "w"
    run_builder("extract", str(demo_pdf), "-w", str(ws), check=True)
    proc = run_builder("generate", "-w", str(ws))
    assert proc.returncode == 1 and "run `builder tag" in proc.stderr


def test_an_item_of_a_set_carries_the_case_it_is_about(tmp_path):
    """USMLE's sequential items 56-57 share a case: each item can be answered alone."""
    ws = tmp_path / "w"
    run_builder("extract", str(corpus_file("us_usmle_step2ck_sample.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    run_builder("generate", "-w", str(ws), "--types", "exam_mcq", check=True)
    space = Workspace.open(ws, create=False)
    questions = {q.id: q for q in space.records("question")}
    items = {questions[i.source["record_id"]].number: i for i in space.records("item")}
    case = questions[items[57].source["record_id"]].shared_context
    assert case.startswith("A 57-year-old woman comes to the emergency department")
    for n in (56, 57):
        assert items[n].question.startswith(case) and items[n].question.endswith(
            questions[items[n].source["record_id"]].stem)
    assert items[1].question == questions[items[1].source["record_id"]].stem   # no set, no case
