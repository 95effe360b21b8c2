"""Layouts the dev corpus lacks, made here: two columns with a full-width float, a table with no
rules (caption above), a vector chart with its caption above, Portuguese labels, two figures side by
side with one-line captions, and a Chinese book."""
import pymupdf
import pytest

from builder.demo import _bar_chart, _radiograph
from extractors.book import extract_book
from extractors.geometry import iou

CSS = "* {font-family: serif; font-size: 9.5pt; line-height: 1.25} p {text-align: justify}"
SMALL = CSS.replace("9.5pt", "8pt")
PARA = ("O exame radiológico deve ser interpretado junto com a história clínica e o exame físico do "
        "paciente, e cada achado é ponderado pela probabilidade pré-teste de doença. ")


@pytest.fixture(scope="module")
def article(tmp_path_factory):
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_image(pymupdf.Rect(60, 60, 535, 260), stream=_radiograph(1, (700, 300)))
    p.insert_htmlbox(pymupdf.Rect(50, 266, 545, 300), "<p><b>Figura 1 -</b> Radiografia de tórax com "
                     "consolidação no lobo inferior direito.</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(50, 310, 290, 800), f"<p>{PARA * 3}Como mostra a Figura 1, a consolidação "
                     f"é evidente. Os achados estão resumidos na Tabela 1. {PARA * 4}</p>", css=CSS)
    p.insert_htmlbox(pymupdf.Rect(305, 310, 545, 480), f"<p>{PARA * 3}</p>", css=CSS)
    p.insert_htmlbox(pymupdf.Rect(305, 490, 545, 510), "<p><b>Tabela 1</b> Achados por paciente.</p>", css=SMALL)
    y = 522
    for row in [("Paciente", "Idade", "Achado"), ("A", "34", "Consolidação"), ("B", "51", "Derrame"),
                ("C", "62", "Cavitação"), ("D", "45", "Normal")]:
        for x, cell in zip((308, 380, 430), row):
            p.insert_text((x, y), cell, fontsize=8)
        y += 13
    p.insert_htmlbox(pymupdf.Rect(305, y + 15, 545, 800), f"<p>{PARA * 3}</p>", css=CSS)
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 60, 535, 160), f"<p>{PARA * 3} O Gráfico 1 apresenta as internações.</p>",
                     css=CSS)
    p.insert_htmlbox(pymupdf.Rect(60, 172, 535, 190), "<p><b>Gráfico 1.</b> Internações semanais por "
                     "pneumonia.</p>", css=SMALL)
    _bar_chart(p, pymupdf.Rect(150, 198, 450, 380))
    p.insert_htmlbox(pymupdf.Rect(60, 400, 535, 700), f"<p>{PARA * 6}</p>", css=CSS)
    path = tmp_path_factory.mktemp("layouts") / "artigo.pdf"
    doc.save(path)
    return {f.label: f for f in extract_book(path).figures}


def test_full_width_float_over_two_columns(article):
    fig = article["Figura 1"]
    assert fig.caption_position == "below" and iou(fig.figure_bbox, (60, 60, 535, 260)) > 0.9
    assert fig.caption_text.endswith("lobo inferior direito.") and fig.cited_on_pages == [1]


def test_table_without_rules_stops_at_the_running_text(article):
    table = article["Tabela 1"]
    assert table.kind == "table" and table.caption_position == "above"
    assert table.caption_text == "Tabela 1 Achados por paciente."
    assert iou(table.figure_bbox, (308, 513, 478, 576)) > 0.8
    assert table.cited_on_pages == [1]


def test_chart_with_caption_above(article):
    chart = article["Gráfico 1"]
    assert chart.caption_position == "above" and iou(chart.figure_bbox, (150, 198, 450, 380)) > 0.85


def test_pages_with_rotate_give_boxes_in_page_space_and_upright_crops(tmp_path, demo_pdf):
    """/Rotate 90: the same boxes as unrotated (PyMuPDF page coordinates), and the crop is the figure."""
    import io

    from PIL import Image, ImageStat

    from extractors.book import render_figures
    doc = pymupdf.open(demo_pdf)
    for page in doc:
        page.set_rotation(90)
    rotated = tmp_path / "rotated.pdf"
    doc.save(rotated)
    plain = {f.label: f for f in extract_book(demo_pdf).figures}
    turned = {f.label: f for f in extract_book(rotated).figures}
    assert set(turned) == set(plain)
    for label, f in turned.items():
        assert iou(f.figure_bbox, plain[label].figure_bbox) > 0.98
    [(_, png, w, h)] = list(render_figures(rotated, [turned["Figure 1.1"]], 50))
    [(_, png0, w0, h0)] = list(render_figures(demo_pdf, [plain["Figure 1.1"]], 50))
    assert (w, h) == (h0, w0)  # the page is shown turned, and so is the figure
    dark = ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).mean[0]
    assert dark < 110  # the radiograph, not the white text column beside it


def test_two_figures_side_by_side_with_one_line_captions(tmp_path):
    """PyMuPDF gives both captions one baseline in one block; each figure keeps its own."""
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_image(pymupdf.Rect(60, 60, 290, 240), stream=_radiograph(3, (400, 300)))
    p.insert_image(pymupdf.Rect(305, 60, 535, 240), stream=_radiograph(4, (400, 300)))
    p.insert_htmlbox(pymupdf.Rect(60, 246, 290, 290), "<p>Figure 2. Ultrasound of the gallbladder.</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(305, 246, 535, 290), "<p>Figure 3. Ultrasound of the kidney.</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(60, 300, 535, 800), f"<p>{PARA * 6} As Figuras 2 e 3 mostram.</p>", css=CSS)
    doc.save(tmp_path / "pair.pdf")
    figures = {f.label: f for f in extract_book(tmp_path / "pair.pdf").figures}
    assert figures["Figure 2"].caption_text == "Figure 2. Ultrasound of the gallbladder."
    assert figures["Figure 3"].caption_text == "Figure 3. Ultrasound of the kidney."
    assert iou(figures["Figure 2"].figure_bbox, (60, 60, 290, 240)) > 0.9
    assert iou(figures["Figure 3"].figure_bbox, (305, 60, 535, 240)) > 0.9


def test_label_on_a_line_of_its_own_and_sub_captions_under_the_panels(tmp_path):
    """'FIGURE 1' alone, smaller, with its text in a block below; '(a) Right hip  (b) Left hip' under two
    panels name them."""
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 50, 535, 140), f"<p>{PARA * 2} A Figura 1 mostra o joelho.</p>", css=CSS)
    p.insert_image(pymupdf.Rect(150, 150, 445, 350), stream=_radiograph(21, (400, 280)))
    p.insert_htmlbox(pymupdf.Rect(60, 356, 535, 370), "<p><b>FIGURE 1</b></p>", css=SMALL.replace("8pt", "6pt"))
    p.insert_htmlbox(pymupdf.Rect(60, 373, 535, 400), "<p>Lateral radiograph of the knee with a large "
                     "suprapatellar effusion.</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(60, 410, 535, 800), f"<p>{PARA * 8}</p>", css=CSS)
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 50, 535, 120), f"<p>{PARA * 2} A Figura 2 compara os dois lados.</p>", css=CSS)
    p.insert_image(pymupdf.Rect(60, 130, 290, 300), stream=_radiograph(22, (400, 300)))
    p.insert_image(pymupdf.Rect(305, 130, 535, 300), stream=_radiograph(23, (400, 300)))
    p.insert_htmlbox(pymupdf.Rect(60, 303, 290, 318), "<p>(a) Right hip</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(305, 303, 535, 318), "<p>(b) Left hip</p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(60, 324, 535, 350), "<p><b>Figure 2.</b> Pelvic radiographs of both hips.</p>",
                     css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(60, 360, 535, 800), f"<p>{PARA * 8}</p>", css=CSS)
    doc.save(tmp_path / "labels.pdf")
    figures = {f.label: f for f in extract_book(tmp_path / "labels.pdf").figures}
    one = figures["FIGURE 1"]
    assert one.caption_text == "FIGURE 1 Lateral radiograph of the knee with a large suprapatellar effusion."
    assert iou(one.figure_bbox, (150, 150, 445, 350)) > 0.9
    assert figures["Figure 2"].panel_labels == ["a", "b"]


def test_a_source_note_under_a_figure_stays_out_of_its_box(tmp_path):
    """'Fuente: elaboración propia.' in small type under the picture is neither picture nor caption."""
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 50, 535, 130), f"<p>{PARA * 2} A Figura 1 mostra o caso.</p>", css=CSS)
    p.insert_htmlbox(pymupdf.Rect(60, 140, 535, 154), "<p><b>FIGURA 1</b></p>", css=SMALL)
    p.insert_htmlbox(pymupdf.Rect(60, 156, 535, 180), "<p>Radiografía de tórax con neumonía lobar derecha.</p>",
                     css=SMALL)
    p.insert_image(pymupdf.Rect(150, 186, 445, 386), stream=_radiograph(41, (400, 280)))
    p.insert_htmlbox(pymupdf.Rect(60, 390, 535, 404), "<p><i>Fuente: elaboración propia.</i></p>",
                     css=SMALL.replace("8pt", "7pt"))
    p.insert_htmlbox(pymupdf.Rect(60, 420, 535, 800), f"<p>{PARA * 8}</p>", css=CSS)
    doc.save(tmp_path / "fuente.pdf")
    [figure] = extract_book(tmp_path / "fuente.pdf").figures
    assert figure.caption_text == "FIGURA 1 Radiografía de tórax con neumonía lobar derecha."
    assert iou(figure.figure_bbox, (150, 186, 445, 386)) > 0.95


def test_chapters_that_each_number_from_one_keep_every_figure(tmp_path):
    """Three chapters, each with its own Figure 1 and Figure 2, every picture the same size at the same
    place on its page: six figures (not one per label, and not page furniture), each cited nearby."""
    doc = pymupdf.open()
    for chapter in range(1, 4):
        for number in (1, 2):
            p = doc.new_page(width=595, height=842)
            p.insert_htmlbox(pymupdf.Rect(60, 50, 535, 140), f"<p>{PARA * 2} A Figura {number} mostra o caso "
                             f"do capítulo {chapter}.</p>", css=CSS)
            p.insert_image(pymupdf.Rect(150, 150, 445, 350), stream=_radiograph(10 * chapter + number, (400, 280)))
            p.insert_htmlbox(pymupdf.Rect(60, 356, 535, 390), f"<p><b>Figura {number}.</b> Capítulo {chapter}, "
                             f"radiografia {number}.</p>", css=SMALL)
            p.insert_htmlbox(pymupdf.Rect(60, 400, 535, 800), f"<p>{PARA * 6}</p>", css=CSS)
    doc.save(tmp_path / "chapters.pdf")
    figures = extract_book(tmp_path / "chapters.pdf").figures
    assert sorted((f.page, f.label) for f in figures) == [(p, f"Figura {2 - p % 2}") for p in range(1, 7)]
    for f in figures:
        chapter = (f.page + 1) // 2
        assert f.caption_text == f"Figura {f.number}. Capítulo {chapter}, radiografia {f.number}."
        assert f.cited_on_pages == [f.page]


ZH_PARA = "肺炎患者的胸部影像检查应结合临床病史与体格检查进行综合判断，并根据验前概率权衡每一项发现。"
ZH_CAPTION = "胸部X线片显示右下肺实变，" * 5 + "治疗后复查。"


def chinese_book(path):
    """Two pages of a Chinese book: '图1-1' (Simplified) and '圖1-2' (Traditional), each cited in the text."""
    css = "* {font-family: sans-serif; font-size: 10pt; line-height: 1.4} p {text-align: justify}"
    small = css.replace("10pt", "9pt")
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 60, 535, 250), f"<p>{ZH_PARA * 6}如图1-1所示，病变位于右下叶。</p>", css=css)
    p.insert_image(pymupdf.Rect(150, 260, 445, 460), stream=_radiograph(2, (400, 280)))
    p.insert_htmlbox(pymupdf.Rect(150, 466, 445, 510), f"<p>图1-1 {ZH_CAPTION}</p>", css=small)
    p.insert_htmlbox(pymupdf.Rect(60, 520, 535, 800), f"<p>{ZH_PARA * 9}</p>", css=css)
    p = doc.new_page(width=595, height=842)
    p.insert_htmlbox(pymupdf.Rect(60, 60, 535, 200), f"<p>{ZH_PARA * 5}</p>", css=css)
    p.insert_image(pymupdf.Rect(150, 210, 445, 410), stream=_radiograph(3, (400, 280)))
    p.insert_htmlbox(pymupdf.Rect(60, 416, 535, 450), "<p>圖1-2 頭部電腦斷層顯示左側硬膜下血腫</p>", css=small)
    p.insert_htmlbox(pymupdf.Rect(60, 460, 535, 800), f"<p>{ZH_PARA * 4}見圖1-2。{ZH_PARA * 6}</p>", css=css)
    doc.save(path)
    return path


def test_chinese_book_gives_figures_captions_and_citing_paragraphs(tmp_path):
    """No spaces between words: body lines are still running text, '图1-1 ...' is a caption and
    '如图1-1所示' a citation; a caption over two lines is joined without a space."""
    figures = {f.label: f for f in extract_book(chinese_book(tmp_path / "zh.pdf")).figures}
    assert set(figures) == {"图1-1", "圖1-2"}
    assert figures["图1-1"].caption_text == f"图1-1 {ZH_CAPTION}"
    assert iou(figures["图1-1"].figure_bbox, (150, 260, 445, 460)) > 0.9
    assert figures["图1-1"].cited_on_pages == [1] and figures["圖1-2"].cited_on_pages == [2]


def test_a_plain_caption_right_under_its_picture(tmp_path):
    """'Figure 2 Chest radiograph...' in the body's font, a point smaller, with nothing after the number and
    no bold: a caption still, since it sits right under a picture; the same words in the running text are
    a mention."""
    doc = pymupdf.open()
    for k in (1, 2):
        p = doc.new_page(width=595, height=842)
        p.insert_htmlbox(pymupdf.Rect(50, 50, 545, 250), f"<p>{PARA * 5}Figure {k} shows the chest.</p>", css=CSS)
        p.insert_image(pymupdf.Rect(100, 270, 495, 520), stream=_radiograph(k, (600, 380)))
        p.insert_htmlbox(pymupdf.Rect(50, 526, 545, 545), f"<p>Figure {k} Chest radiograph with consolidation "
                         "of the right lower lobe.</p>", css=CSS.replace("9.5pt", "8.5pt"))
        p.insert_htmlbox(pymupdf.Rect(50, 560, 545, 800), f"<p>{PARA * 5}</p>", css=CSS)
    path = tmp_path / "plain.pdf"
    doc.save(path)
    figures = {f.label: f for f in extract_book(path).figures}
    assert sorted(figures) == ["Figure 1", "Figure 2"]
    assert figures["Figure 2"].caption_text.startswith("Figure 2 Chest radiograph")
    assert iou(figures["Figure 2"].figure_bbox, (100, 270, 495, 520)) > 0.9
