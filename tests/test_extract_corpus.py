"""Extraction on the real dev corpus, checked against its hand-made ground truth."""
import sys
from pathlib import Path

import pymupdf
import pytest

from extractors.book import extract_book, render_figures
from extractors.geometry import iou

from conftest import CORPUS, corpus_file, truth

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import score_figures  # noqa: E402


def test_dev_corpus_f1_meets_the_target():
    rows = [score_figures.score_file(f) for f in sorted(CORPUS.glob("*.figures.json"))]
    assert len(rows) >= 14
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    _, _, f1 = score_figures.prf(tp, fp, fn)
    assert f1 >= 0.95, f"dev figure F1 {f1:.3f} (tp={tp} fp={fp} fn={fn})"
    sims = [s for r in rows for s in r["caption_sims"]]
    assert sum(sims) / len(sims) >= 0.95
    # panels named in the caption as "A Patchy ... B ...", "a: ...", "(A, B) ... (C)", "(A to C)", "(Left)"
    assert sum(r["panels_right"] for r in rows) / tp >= 0.93


def _by_label(result):
    return {f.label: f for f in result.figures}


def test_side_captions_pair_with_the_graphic_beside_them():
    result = extract_book(corpus_file("art_pgmj_2010_hpylori_anaemia.pdf"))
    gold = {g["id"]: g for g in truth("art_pgmj_2010_hpylori_anaemia.figures.json")["figures"]}
    figs = _by_label(result)
    for label in ("Figure 2", "Figure 3", "Figure 4"):
        assert figs[label].caption_position == "left"
        assert iou(figs[label].figure_bbox, tuple(gold[label]["figure_bbox"])) >= 0.8
    assert figs["Figure 2"].panel_labels == ["a", "b"]


def test_caption_continued_on_next_page_is_joined():
    name = "art_elife2023_rp91357_split_captions_ccby"
    gold = {g["id"]: g for g in truth(f"{name}.figures.json")["figures"]}
    figs = _by_label(extract_book(corpus_file(f"{name}.pdf")))
    fig1 = figs["Figure 1"]
    assert fig1.caption_continued_on == [gold["Figure 1"]["page"] + 1]
    tail = " ".join(gold["Figure 1"]["caption_text"].split()[-8:])
    assert tail in fig1.caption_text and "continued" not in fig1.caption_text[-40:]


def test_table_of_images_is_one_table_and_slides_without_captions_give_nothing():
    figs = extract_book(corpus_file("art_clinsci_2014_ace_inhibitors_ccby.pdf")).figures
    on_p4 = [f for f in figs if f.page == 4]
    assert [f.label for f in on_p4] == ["Table 3"]
    assert extract_book(corpus_file("tb_lecture_slides_respiratory.pdf")).figures == []


def test_citing_paragraphs_quote_the_reference():
    figs = _by_label(extract_book(corpus_file("art_jmcr2025_probable_neuro_mri_ccbyncnd.pdf")))
    para = figs["Fig. 5"].citing[0]
    assert para.page == 3 and "Figs. 1, 2, 3, 4, 5, 6, 7" in para.text.replace("\u00a0", " ")
    assert figs["Fig. 8"].cited_on_pages == [4]


def test_rotated_table_is_found_and_rendered_upright():
    path = corpus_file("art_jmcr2025_fsgs_pregnancy_nofig_ccbyncnd.pdf")
    result = extract_book(path)
    [table] = result.figures
    assert table.label == "Table 1" and table.rotation == 90
    [(_, png, w, h)] = list(render_figures(path, result.figures, 72))
    assert w > h  # a landscape table turned to read left to right


@pytest.mark.parametrize("rotate", [90, 270])
def test_sideways_table_in_either_direction(tmp_path, rotate):
    """A landscape table set on a portrait page, text running up (90) or down (270)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    body = ("Running text of the article discusses the results at length and refers to the table. " * 3)
    for i in range(8):
        page.insert_text((60, 60 + 12 * i), body[i * 10: i * 10 + 90], fontsize=10)
    rows = [["Patient", "Age", "Finding"], ["A", "34", "Consolidation"], ["B", "51", "Effusion"],
            ["C", "62", "Cavitation"]]
    # in the table's own frame: caption first, then rows, each row one text line further along
    for i, text in enumerate(["Table 1 Findings in four patients"] + ["      ".join(r) for r in rows]):
        offset = 20 * i
        point = (150 + offset, 700) if rotate == 90 else (445 - offset, 250)
        page.insert_text(point, text, fontsize=9 if i else 9.5, rotate=rotate,
                         fontname="hebo" if i == 0 else "helv")
    path = tmp_path / f"sideways{rotate}.pdf"
    doc.save(path)
    result = extract_book(path)
    [table] = result.figures
    assert (table.label, table.kind, table.caption_position) == ("Table 1", "table", "above")
    assert table.rotation == rotate
    x0, y0, x1, y1 = table.figure_bbox
    assert y1 - y0 > x1 - x0  # tall on the page: the sideways rows
    [(_, png, w, h)] = list(render_figures(path, result.figures, 72))
    assert w > h


def test_demo_book_gives_every_figure_with_citations(demo_pdf):
    figs = _by_label(extract_book(demo_pdf))
    assert set(figs) == {"Figure 1.1", "Figure 1.2", "Table 1.1", "Fig. 2.1"}
    assert figs["Fig. 2.1"].panel_labels == ["A", "B"]
    assert figs["Figure 1.1"].cited_on_pages == [1, 3]
    assert figs["Table 1.1"].caption_position == "above"
