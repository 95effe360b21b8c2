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
    # every item of a set carries its case, without the booklet's instructions about the set
    contexts = sum(r["contexts"] for r in rows)
    assert contexts >= 9 and sum(r["context_right"] for r in rows) == contexts


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


# -- booklets and keys in styles the dev corpus does not have, generated ----------------------------
_STEMS = ["A man of 45 presents with crushing chest pain radiating to the left arm for two hours. "
          "Which of the following is the most likely diagnosis?",
          "A woman of 30 has fatigue, weight gain and cold intolerance. Which laboratory test should be "
          "ordered first?",
          "Which drug is the first choice for uncomplicated hypertension in a patient without other "
          "diseases?"]
_OPTIONS = [["Acute myocardial infarction", "Pulmonary embolism", "Aortic dissection", "Pericarditis"],
            ["Thyroid stimulating hormone", "Serum cortisol", "Fasting glucose", "Complete blood count"],
            ["Thiazide diuretic", "Beta blocker", "Alpha blocker", "Hydralazine"]]
_STYLES = {   # question start, option marker
    "heading and (A)": (lambda n: [f"QUESTÃO {n:02d}", ""], lambda i: f"({'ABCD'[i]}) "),
    "Question n. and A.": (lambda n: [f"Question {n}. "], lambda i: f"{'ABCD'[i]}. "),
    "n. and A -": (lambda n: [f"{n}. "], lambda i: f"{'ABCD'[i]} - "),
    "0n. and a.": (lambda n: [f"{n:02d}. "], lambda i: f"{'abcd'[i]}. "),
    "n) and (a)": (lambda n: [f"{n}) "], lambda i: f"({'abcd'[i]}) "),
    "n. and 1. (MIR)": (lambda n: [f"{n}. "], lambda i: f"{i + 1}. "),
    "Qn. and A)": (lambda n: [f"Q{n}. "], lambda i: f"{'ABCD'[i]}) "),
    "(n) and A.": (lambda n: [f"({n}) "], lambda i: f"{'ABCD'[i]}. "),
    "[n] and a)": (lambda n: [f"[{n}] "], lambda i: f"{'abcd'[i]}) "),
    "nº) and A)": (lambda n: [f"{n}º) "], lambda i: f"{'ABCD'[i]}) "),
    "n - and A)": (lambda n: [f"{n} - "], lambda i: f"{'ABCD'[i]}) "),
    "n: and A.": (lambda n: [f"{n}: "], lambda i: f"{'ABCD'[i]}. "),
    "n. and A:": (lambda n: [f"{n}. "], lambda i: f"{'ABCD'[i]}: "),
    "n. and [A]": (lambda n: [f"{n}. "], lambda i: f"[{'ABCD'[i]}] "),
    "n. and ( A )": (lambda n: [f"{n}. "], lambda i: f"( {'ABCD'[i]} ) "),
    "n. and a -": (lambda n: [f"{n}. "], lambda i: f"{'abcd'[i]} - "),
}


def _stem(n: int) -> str:
    """Stems of varying length, so that no line recurs at one place on every page like a header."""
    import random
    return f"Case {n}, seen in clinic{' today' * random.Random(n).randint(0, 6)}. " + _STEMS[n % 3]


def _booklet(path: Path, style: str, n: int = 24, columns: int = 1, header: str | None = None) -> Path:
    import textwrap
    start, marker = _STYLES[style]
    doc = pymupdf.open()
    width = (495 - 20 * (columns - 1)) / columns
    page, y, col = None, 0.0, columns
    for q in range(1, n + 1):
        first = start(q)
        lines = ([first[0]] if len(first) > 1 else []) + textwrap.wrap(first[-1] + _stem(q), int(width / 4.9))
        lines += [marker(i) + text for i, text in enumerate(_OPTIONS[q % 3])]
        if page is None or y + 13 * len(lines) > 780:
            col += 1
            if col >= columns:
                page, col = doc.new_page(width=595, height=842), 0
                if header:
                    page.insert_text((50, 40), header, fontsize=8)
                    page.insert_text((290, 820), str(doc.page_count), fontsize=8)
            y = 80
        for k, text in enumerate(lines):
            page.insert_text((50 + col * (width + 20) + (12 if k >= len(lines) - 4 else 0), y), text, fontsize=9.5)
            y += 13
        y += 10
    doc.save(path)
    return path


@pytest.mark.parametrize("style", list(_STYLES))
@pytest.mark.parametrize("columns,header", [(1, None), (2, "RESIDENCY ENTRANCE EXAM 2025 - BOOKLET 1")])
def test_booklet_styles_beyond_the_dev_corpus(tmp_path, style, columns, header):
    """Every question, whole stem and options, whatever the numbering and marker style; a booklet
    without a key keeps all its questions (its pages of options under numbers are no key)."""
    booklet = _booklet(tmp_path / "b.pdf", style, columns=columns, header=header)
    assert looks_like_exam(booklet)      # recognised without --kind
    result = extract_exam(booklet)
    assert [q.number for q in result.questions] == list(range(1, 25))
    assert not result.key_pages
    if header:   # the body is the largest type here: the first line names the exam
        assert result.exam_name == header and result.year == 2025
    for q in result.questions:
        assert q.stem == _stem(q.number), q.number
        assert q.options == [(letter, text) for letter, text in zip("ABCD", _OPTIONS[q.number % 3])], q.number


_KEY_ANSWERS = ["ABCD"[(i * 5 + i // 3) % 4] for i in range(40)]
_KEY_LAYOUTS = {"12. C": "{i}. {a}", "12 - C": "{i} - {a}", "12) C": "{i}) {a}", "12-C": "{i}-{a}",
                "12. c": "{i}. {lower}", "12 3 (options numbered)": "{i}   {digit}", "01 - C": "{i:02d} - {a}",
                "12: C": "{i}: {a}", "Q12: C": "Q{i}: {a}", "12-C,": "{i}-{a},", "12) C;": "{i}) {a};"}


@pytest.mark.parametrize("layout", list(_KEY_LAYOUTS))
def test_answer_key_layouts(tmp_path, layout):
    """Keys written as lists in four columns, with any of the usual separators, or in lower case; the
    number-to-answer offset is found even where it falls between two of the cells it is counted in."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 50), "GABARITO OFICIAL", fontsize=12)
    for i, answer in enumerate(_KEY_ANSWERS):
        text = _KEY_LAYOUTS[layout].format(i=i + 1, a=answer, lower=answer.lower(), digit="ABCD".index(answer) + 1)
        page.insert_text((50 + 130 * (i // 10), 80 + 18 * (i % 10)), text, fontsize=10)
    doc.save(tmp_path / "key.pdf")
    key = read_key(tmp_path / "key.pdf")
    assert {n: e.answer for n, e in key.entries.items()} == {i + 1: a for i, a in enumerate(_KEY_ANSWERS)}


@pytest.mark.parametrize("heading,run", [("参考答案", "{a}～{b} {letters}"), ("ANSWER KEY", "{a}-{b}: {letters}"),
                                         ("ANSWERS", "{a} to {b}  {spaced}")])
def test_keys_written_as_runs_of_letters(tmp_path, heading, run):
    """'1～5 ABCDA    6～10 ...': a run of questions and its answers in order, as Chinese keys print them."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 50), heading, fontsize=12, fontname="china-s")
    for k in range(8):
        letters = "".join(_KEY_ANSWERS[5 * k:5 * k + 5])
        text = run.format(a=5 * k + 1, b=5 * k + 5, letters=letters, spaced=" ".join(letters))
        page.insert_text((50 + 260 * (k % 2), 80 + 18 * (k // 2)), text, fontsize=10, fontname="china-s")
    doc.save(tmp_path / "key.pdf")
    key = read_key(tmp_path / "key.pdf")
    assert {n: e.answer for n, e in key.entries.items()} == {i + 1: a for i, a in enumerate(_KEY_ANSWERS)}


@pytest.mark.parametrize("left,right,joined", [("a 50-year-", "old man", "a 50-year-old man"),
                                               ("myocardial infarc-", "tion", "myocardial infarction"),
                                               ("anti-TNF-", "alpha", "anti-TNF-alpha"),
                                               ("the", "heart", None), ("ECG -", "normal", None)])
def test_a_word_broken_at_a_line_end_is_rejoined(left, right, joined):
    from extractors.text_join import rejoin_hyphenated
    assert rejoin_hyphenated(left, right) == joined


def test_key_of_several_versions_is_refused_not_guessed(tmp_path):
    """A key that lists two booklet versions side by side gives question 1 two answers: which is this
    booklet's cannot be told, so the run stops with the reason and writes nothing."""
    booklet = _booklet(tmp_path / "caderno.pdf", "n. and A -")
    doc = pymupdf.open()
    page = doc.new_page()
    for v, x in ((1, 50), (2, 300)):
        page.insert_text((x, 50), f"CADERNO {v}", fontsize=11)
        for i in range(24):
            answer = "ABCD"[(i + v) % 4]
            page.insert_text((x + 110 * (i // 12), 80 + 18 * (i % 12)), f"{i + 1}. {answer}", fontsize=10)
    doc.save(tmp_path / "gabarito.pdf")
    proc = run_builder("extract", str(booklet), "--key", str(tmp_path / "gabarito.pdf"), "-w", str(tmp_path / "w"))
    assert proc.returncode == 1
    [err] = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert "gabarito.pdf" in err and "question 1 has two answers in this key, B and C" in err
    assert not (tmp_path / "w" / "records").exists() or not any((tmp_path / "w" / "records").rglob("*.*"))


def test_booklet_with_numbered_options_and_its_key_end_to_end(tmp_path):
    """Options numbered 1-4 like the questions (Spain's MIR), a key of option numbers with an annulled
    item: found without --kind, options lettered A-D by place, answers as those letters."""
    booklet = _booklet(tmp_path / "cuaderno.pdf", "n. and 1. (MIR)", columns=2)
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 40), "PLANTILLA DE RESPUESTAS CORRECTAS", fontsize=11)
    for i in range(24):
        text = "ANULADA" if i == 6 else str("ABCD".index(_KEY_ANSWERS[i]) + 1)
        page.insert_text((50 + 150 * (i // 12), 70 + 16 * (i % 12)), str(i + 1), fontsize=10)
        page.insert_text((90 + 150 * (i // 12), 70 + 16 * (i % 12)), text, fontsize=10)
    doc.save(tmp_path / "plantilla.pdf")
    ws = tmp_path / "w"
    run_builder("extract", str(booklet), "--key", str(tmp_path / "plantilla.pdf"), "-w", str(ws), check=True)
    from builder.workspace import Workspace
    questions = sorted(Workspace.open(ws).records("question"), key=lambda q: q.number)
    assert [q.number for q in questions] == list(range(1, 25))
    for q in questions:
        assert q.stem == _stem(q.number)
        assert [(o.label, o.text) for o in q.options] == list(zip("ABCD", _OPTIONS[q.number % 3]))
        if q.number == 7:
            assert q.answer is None and q.answer_status == "annulled"
        else:
            assert q.answer == _KEY_ANSWERS[q.number - 1] and q.answer_status == "keyed"


def test_numbered_statements_inside_a_stem_are_not_questions(tmp_path):
    """'1. ... 2. ... 3. ...' statements in question 2's stem, numbered in the questions' own style: the
    questions are still 1, 2, 3..., each with its whole stem (a question's options come before the next)."""
    import textwrap
    doc = pymupdf.open()
    page, y, want = doc.new_page(), 70.0, {}
    for q in range(1, 21):
        items = [f"{k}. statement number {k} about the case" for k in (1, 2, 3)] if q % 4 == 2 else []
        want[q] = " ".join([_stem(q)] + items)
        lines = textwrap.wrap(f"{q}. " + _stem(q), 95) + items
        lines += [f"({'ABCD'[i]}) {text}" for i, text in enumerate(_OPTIONS[q % 3])]
        for text in lines:
            if y > 790:
                page, y = doc.new_page(), 70.0
            page.insert_text((50 + (12 if text.startswith("(") else 0), y), text, fontsize=9.5)
            y += 13
        y += 10
    doc.save(tmp_path / "b.pdf")
    result = extract_exam(tmp_path / "b.pdf")
    assert {q.number: q.stem for q in result.questions} == want


def test_options_side_by_side_in_a_grid(tmp_path):
    """'A) ...        B) ...' over 'C) ...        D) ...', each option set apart by a wide gap."""
    doc = pymupdf.open()
    page, y = doc.new_page(width=595, height=842), 70
    for q in range(1, 11):
        if y > 700:
            page, y = doc.new_page(width=595, height=842), 70
        page.insert_text((50, y), f"{q}. {_stem(q)}"[:95], fontsize=9.5)
        page.insert_text((50, y + 13), f"{q}. {_stem(q)}"[95:], fontsize=9.5)
        opts = _OPTIONS[q % 3]
        for row, (left, right) in enumerate([(0, 1), (2, 3)]):
            page.insert_text((62, y + 26 + 13 * row), f"{'ABCD'[left]}) {opts[left]}", fontsize=9.5)
            page.insert_text((300, y + 26 + 13 * row), f"{'ABCD'[right]}) {opts[right]}", fontsize=9.5)
        y += 75
    doc.save(tmp_path / "grid.pdf")
    questions = extract_exam(tmp_path / "grid.pdf").questions
    assert [q.number for q in questions] == list(range(1, 11))
    for q in questions:
        assert [text.strip() for _, text in q.options] == _OPTIONS[q.number % 3]


def test_every_item_of_a_set_carries_its_case(tmp_path):
    """'Items 2 and 3 refer to the following case.' in a paragraph of its own, then the case: both items
    get the case, and the instruction is left out."""
    import textwrap
    doc = pymupdf.open()
    page, y = doc.new_page(width=595, height=842), 70

    def put(text, x=50, after=0):
        nonlocal y
        for ln in textwrap.wrap(text, 95):
            page.insert_text((x, y), ln, fontsize=9.5)
            y += 13
        y += after

    case = ("A 60-year-old woman has had progressive dyspnea for three months and swelling of both legs. "
            "Examination shows jugular venous distension, bibasilar crackles and pitting edema to the knees.")
    put(f"1. {_stem(1)}")
    for i, text in enumerate(_OPTIONS[1]):
        put(f"{'ABCD'[i]}. {text}", 62)
    y += 12
    put("Items 2 and 3 refer to the following case. Read it before you answer either of them.", after=10)
    put(case, after=10)
    for n, stem, options in [(2, "Which of the following is the most likely diagnosis?", _OPTIONS[0]),
                             (3, "Which drug is the first choice for her blood pressure?", _OPTIONS[2])]:
        put(f"{n}. {stem}")
        for i, text in enumerate(options):
            put(f"{'ABCD'[i]}. {text}", 62)
        y += 12
    doc.save(tmp_path / "set.pdf")
    questions = {q.number: q for q in extract_exam(tmp_path / "set.pdf").questions}
    assert questions[2].shared_stem_with == [3] and questions[3].shared_stem_with == [2]
    assert " ".join(questions[2].shared_context.split()) == case
    assert questions[3].shared_context == questions[2].shared_context
    assert questions[1].shared_context == ""


def test_mainland_chinese_booklet_and_run_key_end_to_end(tmp_path):
    """Simplified Chinese, 'A．' markers with no space, a '1～5 ABCAD' key: recognised as an exam without
    --kind, answered from the key, and tagged through the Traditional terms."""
    stems = ["患者男，60岁，胸痛2小时，心电图示ST段抬高。最可能的诊断是", "患儿6岁，发热3天，咳嗽，右下肺湿啰音。最可能的诊断是",
             "患者女，45岁，乏力，体重增加，怕冷。首选的检查是", "孕妇，妊娠32周，血压升高，头痛。首选的处理是",
             "患者男，30岁，转移性右下腹痛伴发热。最可能的诊断是"]
    options = [["急性心肌梗死", "肺栓塞", "主动脉夹层", "心包炎", "气胸"], ["肺炎", "支气管炎", "哮喘", "结核", "感冒"],
               ["促甲状腺激素", "血糖", "皮质醇", "血常规", "尿常规"], ["降压治疗", "立即引产", "观察", "利尿", "补液"],
               ["阑尾炎", "胆囊炎", "肠梗阻", "胰腺炎", "肾结石"]]
    doc = pymupdf.open()
    page, y = doc.new_page(width=595, height=842), 70
    for q in range(1, 11):
        if y > 720:
            page, y = doc.new_page(width=595, height=842), 70
        page.insert_text((50, y), f"{q}．{stems[(q - 1) % 5]}（　　）", fontname="china-s", fontsize=10.5)
        for i, text in enumerate(options[(q - 1) % 5]):
            page.insert_text((64, y + 16 + 15 * i), f"{'ABCDE'[i]}．{text}", fontname="china-s", fontsize=10.5)
        y += 100
    doc.save(tmp_path / "booklet.pdf")
    key = pymupdf.open()
    key.new_page().insert_text((50, 60), "参考答案  1～5 ABCAD    6～10 ACBEA", fontname="china-s", fontsize=11)
    key.save(tmp_path / "key.pdf")
    ws = tmp_path / "w"
    proc = run_builder("extract", str(tmp_path / "booklet.pdf"), "--key", str(tmp_path / "key.pdf"), "-w", str(ws),
                       "--json", check=True)
    [result] = json.loads(proc.stdout)["documents"]
    assert (result["kind"], result["questions"]) == ("exam", 10)
    run_builder("tag", "-w", str(ws), check=True)
    from builder.workspace import Workspace
    space = Workspace.open(ws, create=False)
    questions = {q.id: q for q in space.records("question")}
    assert [q.answer for q in sorted(questions.values(), key=lambda q: q.number)] == list("ABCADACBEA")
    specialty = {questions[r.record_id].number: r.facets["specialty"][0]["id"] for r in space.records("labels")}
    assert specialty[1] == "spe.cardiology" and specialty[2] == "spe.pediatrics" and specialty[4] == "spe.obgyn"


@pytest.mark.parametrize("how", ["/Rotate on upright text", "text set sideways", "sideways with /Rotate"])
def test_booklet_pages_turned_any_way_read_the_same(tmp_path, how):
    """A /Rotate that turns upright text sideways, a page whose text is set sideways, and the usual
    landscape page (sideways text that /Rotate shows upright): the page is read the way its text runs."""
    plain = _booklet(tmp_path / "plain.pdf", "Question n. and A.", columns=2)
    with pymupdf.open(plain) as src:
        out = pymupdf.open()
        for page in src:
            if how == "/Rotate on upright text":
                out.insert_pdf(src, from_page=page.number, to_page=page.number)
                out[-1].set_rotation(90)
            else:
                turned = out.new_page(width=page.rect.height, height=page.rect.width)
                turned.show_pdf_page(turned.rect, src, page.number, rotate=90)
                if how == "sideways with /Rotate":
                    turned.set_rotation(270)
        out.save(tmp_path / "turned.pdf")
    before = extract_exam(plain).questions
    after = extract_exam(tmp_path / "turned.pdf").questions
    assert len(after) == len(before) == 24
    assert [(q.stem, q.options) for q in after] == [(q.stem, q.options) for q in before]


@pytest.mark.parametrize("stated", ["Answer: {a}. The explanation of why follows here.", "Gabarito: {a}",
                                    "Resposta correta: {a}", "【答案】{a}", "答案：{a}"])
def test_answers_printed_after_each_question_are_read(tmp_path, stated):
    """Question banks print the answer (and an explanation) under each question: with no key, those give
    the answers, and the options stay clean."""
    import textwrap
    doc = pymupdf.open()
    page, y = None, 900
    for q in range(1, 21):
        lines = textwrap.wrap(f"{q}. {_stem(q)}", 95) + [f"{'ABCD'[i]}) {t}" for i, t in enumerate(_OPTIONS[q % 3])]
        lines.append(stated.format(a=_KEY_ANSWERS[q - 1]))
        if y + 13 * len(lines) > 780:
            page, y = doc.new_page(width=595, height=842), 80
        for k, text in enumerate(lines):
            page.insert_text((50 + (12 if 0 < len(lines) - 1 - k <= 4 else 0), y), text, fontsize=9.5,
                             fontname="china-s")
            y += 13
        y += 10
    doc.save(tmp_path / "bank.pdf")
    result = extract_exam(tmp_path / "bank.pdf")
    assert [q.answer for q in result.questions] == _KEY_ANSWERS[:20]
    assert all(q.options == list(zip("ABCD", _OPTIONS[q.number % 3])) for q in result.questions)
    assert result.questions[0].answer_source == "bank.pdf (answers after the questions)"


def test_an_explanation_that_goes_through_the_options_is_not_taken_for_them(tmp_path):
    """'Answer: B' then 'Explanation:' and 'A) Incorrect...', 'B) Correct...': the options are the
    question's, the answer is the stated one."""
    import textwrap
    doc = pymupdf.open()
    page, y = None, 900
    for q in range(1, 11):
        answer = _KEY_ANSWERS[q - 1]
        lines = textwrap.wrap(f"{q}. {_stem(q)}", 95) + [f"{'ABCD'[i]}) {t}" for i, t in enumerate(_OPTIONS[q % 3])]
        lines += [f"Answer: {answer}", "Explanation:"]
        lines += [f"{c}) {'Correct' if c == answer else 'Incorrect'}: as the guideline says." for c in "ABCD"]
        if y + 13 * len(lines) > 780:
            page, y = doc.new_page(width=595, height=842), 80
        for text in lines:
            page.insert_text((50, y), text, fontsize=9.5)
            y += 13
        y += 10
    doc.save(tmp_path / "bank.pdf")
    questions = extract_exam(tmp_path / "bank.pdf").questions
    assert [q.answer for q in questions] == _KEY_ANSWERS[:10]
    assert all(q.options == list(zip("ABCD", _OPTIONS[q.number % 3])) for q in questions)


def test_a_chapter_that_ends_in_review_questions_is_a_book(tmp_path):
    """Textbook chapters often close with numbered multiple-choice review questions: the chapter is still a
    book, whose figures are extracted, not a booklet of eight questions and no figures."""
    import io
    import random
    from PIL import Image, ImageDraw
    rng = random.Random(4)
    words = ("radiograph consolidation lobe bronchogram infection fever cough sputum crackles antibiotic guideline "
             "severity admission oxygen saturation patient older community acquired pneumonia therapy").split()

    def prose(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(110)).capitalize() + f", as Figure {n} shows. " + \
            " ".join(rng.choice(words) for _ in range(60)) + "."

    def picture(k: int) -> bytes:       # a different picture on each page: one repeated is page furniture
        img = Image.new("RGB", (400, 300), (30, 30, 30))
        draw = ImageDraw.Draw(img)
        for i in range(0, 300, 7):
            draw.ellipse((50 + i % 90, 40 + i % 60, 250 + i % 50, 200 + i % 70), outline=(200 - i % 150, 40 * k, 90 + i % 100))
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()

    doc = pymupdf.open()
    for k in range(1, 4):
        page = doc.new_page()
        page.insert_text((50, 40), "Chapter 4  Pneumonia", fontsize=9)
        page.insert_textbox(pymupdf.Rect(50, 60, 545, 310), prose(f"4.{k}"), fontsize=10)
        page.insert_image(pymupdf.Rect(120, 320, 470, 580), stream=picture(k))
        page.insert_textbox(pymupdf.Rect(50, 590, 545, 640), f"Figure 4.{k}. Chest radiograph showing right lower lobe "
                            f"consolidation in a {50 + k}-year-old man.", fontsize=9)
        page.insert_textbox(pymupdf.Rect(50, 660, 545, 800), prose(f"4.{k}"), fontsize=10)
    page, y = doc.new_page(), 60
    page.insert_text((50, 40), "Review questions", fontsize=12)
    for n in range(1, 9):
        page.insert_text((50, y), f"{n}. Which finding on a chest radiograph is typical of case {n}?", fontsize=10)
        y += 15
        for j, text in enumerate(_OPTIONS[n % 3]):
            page.insert_text((65, y), f"{'ABCD'[j]}. {text}", fontsize=10)
            y += 13
        y += 8
    path = tmp_path / "chapter.pdf"
    doc.save(path)
    assert not looks_like_exam(path)
    ws = tmp_path / "w"
    run_builder("extract", str(path), "-w", str(ws), check=True)
    from builder.workspace import Workspace
    figures = list(Workspace.open(ws).records("figure"))
    assert sorted(f.label for f in figures) == ["Figure 4.1", "Figure 4.2", "Figure 4.3"]
