"""What a record's surroundings say: the chapter it sits in, how its picture looks, the case it continues."""
import json

import numpy as np
import pymupdf
import pytest

from PIL import Image, ImageDraw

from builder.tagging import record_fields
from builder.workspace import Workspace
from conftest import corpus_file, run_builder
from extractors.page_content import read_page
from extractors.sections import outline_sections, running_headers, running_title
from taxonomy.picture import looks


def test_outline_gives_chapter_and_section_without_the_articles_own_title():
    toc = [[1, "Endophthalmitis: a case report", 1], [2, "Background", 1], [2, "Case presentation", 2],
           [1, "Part II Retina", 3], [2, "Vascular disease", 4], [3, "Retinal vein occlusion", 4]]
    sections = outline_sections(toc, [1, 2, 3, 4, 5], title="Endophthalmitis: a case report")
    assert sections == {1: "Background", 2: "Case presentation", 3: "Part II Retina",
                        4: "Part II Retina / Retinal vein occlusion", 5: "Part II Retina / Retinal vein occlusion"}


@pytest.fixture(scope="module")
def headed_book(tmp_path_factory):
    """Ten pages: the book's title atop even pages, the chapter's atop odd ones, page numbers below."""
    doc = pymupdf.open()
    for n in range(1, 11):
        page = doc.new_page(width=595, height=842)
        chapter = "Chapter 1: Epidemiology and burden of disease" if n <= 5 else "Chapter 2: Laboratory diagnosis"
        header = "Malaria: a field manual for clinicians" if n % 2 == 0 else chapter
        page.insert_text((60, 40), header, fontsize=9)
        page.insert_text((60, 120), f"Body text of page {n} about the subject of the chapter.", fontsize=10)
        page.insert_text((290, 820), str(n + 10), fontsize=9)
    path = tmp_path_factory.mktemp("headed") / "book.pdf"
    doc.save(path)
    return path


def test_running_headers_name_the_chapter_of_each_page(headed_book):
    with pymupdf.open(headed_book) as doc:
        contents = [read_page(doc[i]) for i in range(doc.page_count)]
    sections = running_headers(contents)
    assert sections[3] == sections[4] == "Chapter 1: Epidemiology and burden of disease"   # 4 lies between 3 and 5
    assert sections[7] == sections[8] == "Chapter 2: Laboratory diagnosis"
    assert 6 not in sections            # between the two chapters: no guess
    assert running_title(contents) == "Malaria: a field manual for clinicians"


def _png(path, draw):
    img = Image.new("RGB", (400, 300), "white")
    draw(img)
    img.save(path)
    return path


def test_line_art_and_photographs_look_different(tmp_path):
    def chart(img):
        d = ImageDraw.Draw(img)
        d.line([(40, 20), (40, 260), (380, 260)], fill="black", width=2)
        for i, h in enumerate([80, 150, 120, 200]):
            d.rectangle([60 + 80 * i, 260 - h, 110 + 80 * i, 260], fill=(60, 90, 160))

    def photo(img):
        rng = np.random.default_rng(0)
        smooth = np.cumsum(rng.normal(0, 6, (300, 400, 3)), axis=1) + np.array([190, 120, 100])
        img.paste(Image.fromarray(np.clip(smooth, 0, 255).astype(np.uint8)))

    assert looks(_png(tmp_path / "chart.png", chart)).kind == "drawing"
    assert looks(_png(tmp_path / "photo.png", photo)).kind == "photo"


def test_tag_reads_the_chapter_the_picture_and_the_case_before(tmp_path, demo_pdf):
    ws = tmp_path / "w"
    run_builder("extract", str(demo_pdf), str(corpus_file("tw_md_101-1_med4_peds_derm.pdf")),
                "--key", str(corpus_file("tw_md_101-1_med4_peds_derm_ANS.pdf")), "-w", str(ws), check=True)
    documents = json.loads(run_builder("tag", "-w", str(ws), "--json", check=True).stdout)["documents"]
    assert [d["status"] for d in documents] == ["done", "done"]
    w = Workspace.open(ws, create=False)
    figures = {r.label: r for r in w.records("figure")}
    assert figures["Fig. 2.1"].section == "2 Pneumonia" and figures["Figure 1.1"].section == "1 Imaging of the chest"
    labels = {l.record_id: l for l in w.records("labels")}
    chart = labels[figures["Figure 1.2"].id].primary("modality")
    # the bar chart's caption names no kind of picture: its looks and its words ("weekly") decide
    assert chart["id"] == "mod.chart" and chart["tagger"] == "lexicon:picture"
    questions = {q.number: q for q in w.records("question")}
    assert questions[47].stem.startswith("承上題") and questions[47].shared_stem_with == [46]
    evidence = [e["field"] for facet in labels[questions[47].id].facets.values() for l in facet for e in l["evidence"]]
    assert "context" in evidence        # "which treatment works best?" is tagged from the case told in q46
    # the keyed option is read apart from the distractors, and weighs like the stem
    q = questions[47]
    keyed = next(o.text for o in q.options if o.label == q.answer)
    fields = record_fields(q)
    assert fields["answer"] == keyed and keyed not in fields["options"].split(" | ")
