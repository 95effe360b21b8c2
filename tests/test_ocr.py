"""OCR of scanned pages through the real Tesseract (installed by scripts/install-system-deps.sh)."""
import shutil

import pymupdf
import pytest

from extractors.book import extract_book

from conftest import corpus_file, run_builder

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None and not __import__("os").environ.get("CI"),
                                reason="Tesseract not installed (scripts/install-system-deps.sh)")


def test_scanned_page_is_read_by_ocr():
    result = extract_book(corpus_file("scan_cermine_timeout_simple_nonmedical.pdf"), language="eng")
    assert result.ocr_pages == [1]
    # with no language given, this English scan stays English (script detection alone calls it Devanagari)
    from extractors.ocr import guess_language
    with pymupdf.open(corpus_file("scan_cermine_timeout_simple_nonmedical.pdf")) as doc:
        assert guess_language(doc[0]) == "eng"


def _scanned_copy(src, dst, dpi=150):
    """Each page of ``src`` turned into a picture: a scan with no text layer."""
    out = pymupdf.open()
    with pymupdf.open(src) as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=dpi)
            new = out.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, stream=pix.tobytes("png"))
    out.save(dst)
    return dst


def test_scanned_book_gets_captions_and_citations_from_ocr(tmp_path, demo_pdf):
    scan = _scanned_copy(demo_pdf, tmp_path / "scan.pdf")
    result = extract_book(scan, language="eng")
    assert result.ocr_pages == [1, 2, 3]
    labels = {f.label for f in result.figures}
    assert {"Figure 1.1", "Figure 1.2"} <= labels
    fig = next(f for f in result.figures if f.label == "Figure 1.1")
    assert "radiograph" in fig.caption_text.lower()
    assert 1 in fig.cited_on_pages


def test_scanned_chinese_book_reads_without_spaces_between_characters(tmp_path):
    """A scanned Chinese book with no language given is read as Chinese; Tesseract gives Chinese word by
    word, and the words join back as printed, so captions and cues match."""
    import re

    from test_layouts import chinese_book
    scan = _scanned_copy(chinese_book(tmp_path / "zh.pdf"), tmp_path / "scan.pdf", dpi=300)
    result = extract_book(scan)      # no language given: Tesseract's script detection, checked, says Chinese
    assert result.ocr_pages == [1, 2] and result.ocr_language == "chi_sim+chi_tra"
    fig = next(f for f in result.figures if f.number == "1-1")
    assert fig.cited_on_pages == [1]
    assert "胸部" in fig.caption_text and "右下肺实变" in fig.caption_text
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", fig.caption_text), fig.caption_text


def test_missing_language_data_is_a_clear_error(tmp_path, demo_pdf):
    from extractors.pdf_document import PdfError
    scan = _scanned_copy(demo_pdf, tmp_path / "scan.pdf")
    with pytest.raises(PdfError, match="no language data for xyz"):
        extract_book(scan, language="xyz")


def test_scanned_exam_booklet_gives_questions_options_and_pictures(tmp_path):
    """Three pages of a real booklet turned into pictures: OCR must recover the items."""
    from extractors.exam import extract_exam
    src = pymupdf.open(corpus_file("us_usmle_step1_sample.pdf"))
    out = pymupdf.open()
    for pno in (8, 9):
        page = src[pno]
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=page.get_pixmap(dpi=200).tobytes("png"))
    scan = tmp_path / "scan.pdf"
    out.save(scan)
    result = extract_exam(scan, language="en")
    by_number = {q.number: q for q in result.questions}
    assert sorted(by_number) == [1, 2, 3, 4, 5]
    assert [text for _, text in by_number[2].options] == ["Eczema", "Folliculitis", "Hidradenitis",
                                                          "Keratosis pilaris", "Urticaria"]
    assert len(by_number[2].images) == 1 and len(by_number[1].images) == 0
    assert result.language == "en"


def test_a_scanned_booklet_is_taken_for_one_without_kind(tmp_path):
    """A scan has no text to tell a booklet from a book: its first pages are read by OCR to decide, so
    `builder extract scan.pdf` gives the questions, not an empty book."""
    from extractors.exam import looks_like_exam
    from extractors.ocr import GUESS
    from test_exams import _booklet
    scan = _scanned_copy(_booklet(tmp_path / "b.pdf", "Question n. and A."), tmp_path / "scan.pdf", dpi=200)
    assert not looks_like_exam(scan)                      # without OCR there is nothing to go by
    assert looks_like_exam(scan, ocr_language=GUESS)
    run_builder("extract", str(scan), "-w", str(tmp_path / "w"), check=True)
    from builder.workspace import Workspace
    questions = list(Workspace.open(tmp_path / "w").records("question"))
    assert len(questions) >= 20 and all(len(q.options) == 4 for q in questions)
    # a scanned book stays a book
    assert not looks_like_exam(corpus_file("scan_cermine_timeout_simple_nonmedical.pdf"), ocr_language=GUESS)


def test_a_scanned_answer_key_is_read_by_ocr(tmp_path):
    """An official key printed and scanned has no text layer: OCR reads its grid. What OCR misses is left
    unkeyed and named in a warning; what it reads must be right."""
    from test_exams import _KEY_ANSWERS, _booklet
    booklet = _booklet(tmp_path / "b.pdf", "Question n. and A.")
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 40), "ANSWER KEY", fontsize=12)
    for i in range(24):
        page.insert_text((50 + 150 * (i // 12), 70 + 18 * (i % 12)), str(i + 1), fontsize=11)
        page.insert_text((90 + 150 * (i // 12), 70 + 18 * (i % 12)), _KEY_ANSWERS[i], fontsize=11)
    doc.save(tmp_path / "key.pdf")
    scan = _scanned_copy(tmp_path / "key.pdf", tmp_path / "key-scan.pdf", dpi=200)
    run_builder("extract", str(booklet), "--key", str(scan), "-w", str(tmp_path / "w"), check=True)
    from builder.workspace import Workspace
    questions = list(Workspace.open(tmp_path / "w").records("question"))
    keyed = [q for q in questions if q.answer_status == "keyed"]
    assert len(keyed) >= 22
    assert all(q.answer == _KEY_ANSWERS[q.number - 1] for q in keyed)
