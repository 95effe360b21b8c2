"""Exam booklets on the real dev corpus, checked against the hand-made ground truth."""
import json
import sys
from pathlib import Path

import pymupdf
import pytest

from extractors.answer_key import parse_answer, read_key
from extractors.exam import KeyMismatch, extract_exam, looks_like_exam

from conftest import CORPUS, corpus_file, run_builder, truth

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import score_exams  # noqa: E402


def test_dev_booklets_meet_the_target():
    rows = [score_exams.score_file(f) for f in sorted(CORPUS.glob("*.questions.json"))]
    assert len(rows) >= 6
    n = sum(r["n"] for r in rows)
    fully = sum(r["fully"] for r in rows)
    assert fully / n >= 0.98, f"questions fully right {fully}/{n}"
    assert all(r["found"] == r["n"] for r in rows), [(r["file"], r["found"], r["n"]) for r in rows]


@pytest.mark.parametrize("booklet,keys", [
    ("br_revalida_2023-1_prova", ["br_revalida_2023-1_gabarito.pdf"]),
    ("tw_md_101-2_med3_internal", ["tw_md_101-2_med3_internal_ANS.pdf", "tw_md_101-2_med3_internal_MOD.pdf"]),
])
def test_keys_are_read_exactly_with_annulled_and_corrected_items(booklet, keys):
    gold = {q["number"]: q["answer"] for q in truth(f"{booklet}.questions.json")["questions"]}
    key = read_key(corpus_file(keys[0]))
    for later in keys[1:]:
        key.merge(read_key(corpus_file(later)))
    assert {n: e.answer for n, e in key.entries.items()} == gold


def test_corrected_key_overrides_the_first_and_says_why():
    result = extract_exam(corpus_file("tw_md_101-2_med3_internal.pdf"),
                          keys=[corpus_file("tw_md_101-2_med3_internal_ANS.pdf"),
                                corpus_file("tw_md_101-2_med3_internal_MOD.pdf")])
    q68 = next(q for q in result.questions if q.number == 68)
    assert q68.answer == "A" and "68" in q68.answer_note and q68.answer_source.endswith("MOD.pdf")
    assert result.language == "zh-TW" and result.year == 2012


def test_annulled_items_stay_annulled():
    result = extract_exam(corpus_file("br_revalida_2023-1_prova.pdf"),
                          keys=[corpus_file("br_revalida_2023-1_gabarito.pdf")])
    annulled = sorted(q.number for q in result.questions if q.answer_status == "annulled")
    gold = sorted(q["number"] for q in truth("br_revalida_2023-1_prova.questions.json")["questions"]
                  if q["answer"] is None)
    assert annulled == gold and all(q.answer is None for q in result.questions if q.number in gold)
    assert result.language == "pt"


def test_key_printed_in_the_booklet_is_found():
    result = extract_exam(corpus_file("us_usmle_step1_sample.pdf"))
    assert result.key_pages == [54] and not result.warnings
    assert all(q.answer_status == "keyed" for q in result.questions)


@pytest.mark.parametrize("booklet,wrong_key,says", [
    ("tw_md_101-2_med3_internal.pdf", "tw_md_101-1_med4_peds_derm_ANS.pdf", "code 2102"),
    ("br_revalida_2024-2_prova.pdf", "br_revalida_2023-1_gabarito.pdf", "year 2023"),
    ("tw_md_101-1_med4_peds_derm.pdf", "br_revalida_2024-2_gabarito.pdf", "year 2024"),
])
def test_key_of_another_booklet_is_refused(booklet, wrong_key, says):
    with pytest.raises(KeyMismatch, match=says):
        extract_exam(corpus_file(booklet), keys=[corpus_file(wrong_key)])


def test_key_numbering_that_disagrees_is_refused(tmp_path):
    """A key with no identity on it, keying 1-40 for a booklet of 100: the numbers disagree."""
    doc = pymupdf.open()
    page = doc.new_page()
    for i in range(40):
        page.insert_text((60 + 120 * (i // 20), 60 + 30 * (i % 20)), f"{i + 1}.  {'ABCD'[i % 4]}", fontsize=11)
    key = tmp_path / "key.pdf"
    doc.save(key)
    with pytest.raises(KeyMismatch, match=r"keys questions 1-40, the booklet has 1-100"):
        extract_exam(corpus_file("br_revalida_2024-2_prova.pdf"), keys=[key])


@pytest.mark.parametrize("token,answer", [("B", "B"), ("—", None), ("-", None), ("Anulada", None),
                                          ("A,C", ["A", "C"]), ("Ａ", "A"), ("A ou B", ["A", "B"])])
def test_answer_tokens(token, answer):
    ok, got, _ = parse_answer(token)
    assert ok and got == answer


def test_books_are_not_taken_for_exams():
    assert not looks_like_exam(corpus_file("tb_who_dengue_guidelines_2009.pdf"))
    assert not looks_like_exam(corpus_file("art_pgmj_2010_hpylori_anaemia.pdf"))
    assert looks_like_exam(corpus_file("tw_md_101-1_med4_peds_derm.pdf"))


def test_the_cover_ends_where_the_first_question_begins():
    # a cover that ran on into question 1 made its words ("Syphilis", "measles") look like exam subjects
    result = extract_exam(corpus_file("tw_md_101-1_med4_peds_derm.pdf"), ocr=False)
    first = " ".join(result.questions[0].stem.split())[:20]
    assert "科：醫師" in result.cover and "小兒科" in result.cover
    assert first not in result.cover and not result.cover.rstrip().endswith(" 1")


def test_cli_exam_run_writes_valid_question_records_with_images(tmp_path):
    ws = tmp_path / "w"
    proc = run_builder("extract", str(corpus_file("tw_md_101-1_med4_peds_derm.pdf")),
                       "--key", str(corpus_file("tw_md_101-1_med4_peds_derm_ANS.pdf")), "--lang", "zh-TW",
                       "-w", str(ws), "--json", check=True)
    [doc] = json.loads(proc.stdout)["documents"]
    assert (doc["kind"], doc["questions"]) == ("exam", 80)
    from builder.workspace import Workspace
    space = Workspace.open(ws, create=False)
    questions = {q.number: q for q in space.records("question")}
    gold = {q["number"]: q for q in truth("tw_md_101-1_med4_peds_derm.questions.json")["questions"]}
    assert sorted(questions) == sorted(gold)
    for n, q in questions.items():
        assert len(q.images) == gold[n]["images"]
        for img in q.images:
            assert (ws / img.path).is_file()
        assert q.language == "zh-TW" and q.provenance.key_files == ["tw_md_101-1_med4_peds_derm_ANS.pdf"]
    kinds = {s.kind for s in space.sources()}
    assert kinds == {"exam", "answer-key"}
    sheet = (ws / "reports" / "contact-sheet.html").read_text()
    assert "80 questions" in sheet and questions[9].stem[:10] in sheet


def test_cli_wrong_key_fails_cleanly_and_writes_nothing(tmp_path):
    ws = tmp_path / "w"
    proc = run_builder("extract", str(corpus_file("tw_md_101-2_med3_internal.pdf")),
                       "--key", str(corpus_file("tw_md_101-1_med4_peds_derm_ANS.pdf")), "-w", str(ws))
    assert proc.returncode == 1
    [err] = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert "tw_md_101-1_med4_peds_derm_ANS.pdf" in err and "does not fit" in err and "code 2102" in err
    assert not list((ws / "records").rglob("*.jsonl")) if (ws / "records").exists() else True
    assert not (ws / "sources").exists() or not list((ws / "sources").iterdir())


def test_booklet_without_questions_is_a_clear_error(tmp_path, demo_pdf):
    proc = run_builder("extract", str(demo_pdf), "--kind", "exam", "-w", str(tmp_path / "w"))
    assert proc.returncode == 1 and "no numbered questions found" in proc.stderr


def test_missing_key_file_is_named(tmp_path):
    proc = run_builder("extract", str(corpus_file("tw_md_101-2_med3_internal.pdf")),
                       "--key", str(tmp_path / "nope.pdf"), "-w", str(tmp_path / "w"))
    assert proc.returncode == 1 and "nope.pdf: no such answer-key file" in proc.stderr


def test_full_width_markers_and_options_side_by_side(tmp_path):
    """A booklet in another style: '1．' numbers, 'Ａ．' markers, two options to a line."""
    doc = pymupdf.open()
    page = doc.new_page()
    y = 72
    stems = ["下列哪项是心肌梗死最常见的症状？", "关于糖尿病的诊断，下列哪项正确？", "急性阑尾炎最典型的体征是？",
             "下列哪种药物用于治疗高血压？", "新生儿黄疸最常见的原因是？"]
    for n, stem in enumerate(stems, start=1):
        page.insert_text((56, y), f"{n}．{stem}", fontname="china-s", fontsize=10.5)
        page.insert_text((70, y + 16), "Ａ．选项甲" + "\u3000" * 6 + "Ｂ．选项乙", fontname="china-s", fontsize=10.5)
        page.insert_text((70, y + 32), "Ｃ．选项丙" + "\u3000" * 6 + "Ｄ．选项丁", fontname="china-s", fontsize=10.5)
        y += 60
    path = tmp_path / "booklet.pdf"
    doc.save(path)
    result = extract_exam(path)
    assert [q.number for q in result.questions] == [1, 2, 3, 4, 5]
    for q, stem in zip(result.questions, stems):
        assert q.stem == stem
        assert [label for label, _ in q.options] == ["A", "B", "C", "D"]
        assert [text.strip() for _, text in q.options] == ["选项甲", "选项乙", "选项丙", "选项丁"]
    assert result.language and result.language.startswith("zh")
