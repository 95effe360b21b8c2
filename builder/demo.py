"""A small medical "book" the tool writes itself: the embedded default for a first run and for tests.

Three pages with a raster figure (caption below), a vector bar chart, a two-panel figure, and a
ruled table (caption above), each cited from the body text. Everything is drawn here; nothing is
downloaded.
"""
from __future__ import annotations

import io
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw, ImageFilter

CSS = "* {font-family: sans-serif; font-size: 10pt; line-height: 1.3} p {text-align: justify; margin: 0}"
CAPTION_CSS = "* {font-family: sans-serif; font-size: 8.5pt; line-height: 1.25}"
LOREM = ("Clinical imaging is read together with the history and the examination, and each finding is "
         "weighed against the pretest probability of disease. ")


def _radiograph(seed: int, size=(480, 400)) -> bytes:
    """A synthetic chest-radiograph-like picture: dark field, two lung fields, a spine and a heart shadow."""
    w, h = size
    img = Image.new("L", size, 20)
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.12, h * 0.12, w * 0.46, h * 0.9], fill=70)
    d.ellipse([w * 0.54, h * 0.12, w * 0.88, h * 0.9], fill=70)
    d.rectangle([w * 0.47, 0, w * 0.53, h], fill=200)
    d.ellipse([w * 0.42, h * 0.45, w * 0.7, h * 0.85], fill=170)
    for i in range(6):
        y = h * (0.2 + 0.11 * i)
        d.arc([w * 0.1, y - 30, w * 0.9, y + 30], 200, 340, fill=150, width=3)
    if seed % 2:
        d.ellipse([w * 0.2, h * 0.55, w * 0.34, h * 0.72], fill=190)  # a consolidation
    img = img.filter(ImageFilter.GaussianBlur(2))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def _bar_chart(page: pymupdf.Page, rect: pymupdf.Rect) -> None:
    values = [12, 30, 22, 41, 18]
    base = rect.y1 - 14
    page.draw_line((rect.x0 + 20, rect.y0), (rect.x0 + 20, base), width=0.8)
    page.draw_line((rect.x0 + 20, base), (rect.x1, base), width=0.8)
    bw = (rect.width - 40) / len(values)
    for i, v in enumerate(values):
        x = rect.x0 + 28 + i * bw
        top = base - (base - rect.y0 - 6) * v / max(values)
        page.draw_rect(pymupdf.Rect(x, top, x + bw * 0.6, base), color=(0.1, 0.3, 0.6), fill=(0.3, 0.5, 0.8))
        page.insert_text((x + 2, base + 10), f"W{i + 1}", fontsize=6)
    page.insert_text((rect.x0, rect.y0 + 6), "n", fontsize=6)


def make_demo_book(path: str | Path) -> Path:
    path = Path(path)
    doc = pymupdf.open()
    W, H = 595, 842
    margin = 60
    text_w = pymupdf.Rect(margin, 0, W - margin, 0)

    def body(page, y0, y1, html):
        page.insert_htmlbox(pymupdf.Rect(text_w.x0, y0, text_w.x1, y1), f"<p>{html}</p>", css=CSS)

    def caption(page, y0, y1, label, text, x0=None, x1=None):
        r = pymupdf.Rect(x0 or text_w.x0, y0, x1 or text_w.x1, y1)
        page.insert_htmlbox(r, f"<p><b>{label}</b> {text}</p>", css=CAPTION_CSS)

    # page 1: a raster figure, caption below
    p = doc.new_page(width=W, height=H)
    p.insert_htmlbox(pymupdf.Rect(margin, 50, W - margin, 80), "<h2>1 Imaging of the chest</h2>",
                     css="* {font-family: sans-serif; font-size: 16pt}")
    body(p, 90, 200, LOREM * 2 + "The frontal radiograph in Figure 1.1 shows the normal anatomy that every "
         "reader should know before looking for disease. " + LOREM)
    p.insert_image(pymupdf.Rect(150, 215, 445, 460), stream=_radiograph(0))
    caption(p, 466, 500, "Figure 1.1", "Frontal chest radiograph (PA view) of a healthy adult: lung fields, "
            "mediastinum and the cardiac silhouette.")
    body(p, 520, 760, LOREM * 3 + "Consolidation is compared with the normal film in the next chapter "
         "(see Fig. 2.1). " + LOREM * 2)

    # page 2: a vector chart (caption below) and a ruled table (caption above)
    p = doc.new_page(width=W, height=H)
    body(p, 60, 150, LOREM + "Weekly admissions for community-acquired pneumonia rose in the third and "
         "fourth weeks (Figure 1.2), and the findings that separate the common causes are listed in "
         "Table 1.1. " + LOREM)
    _bar_chart(p, pymupdf.Rect(170, 165, 425, 330))
    caption(p, 338, 370, "Figure 1.2", "Weekly admissions with community-acquired pneumonia over five weeks.")
    caption(p, 395, 420, "Table 1.1", "Radiographic patterns of pneumonia and their usual causes.")
    rows = [("Pattern", "Typical cause", "Modality"), ("Lobar consolidation", "Streptococcus pneumoniae", "X-ray"),
            ("Interstitial", "Mycoplasma pneumoniae", "X-ray, CT"), ("Cavitation", "Mycobacterium tuberculosis", "CT"),
            ("Ground-glass", "Viral pneumonia", "CT")]
    y = 424
    xs = (margin, 220, 400, W - margin)
    p.draw_line((xs[0], y), (xs[-1], y), width=1)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            p.insert_text((xs[j] + 3, y + 12), cell, fontsize=8.5, fontname="hebo" if i == 0 else "helv")
        y += 17
        p.draw_line((xs[0], y), (xs[-1], y), width=1 if i in (0, len(rows) - 1) else 0.3)
    body(p, y + 25, 760, LOREM * 4)

    # page 3: a two-panel figure with panel letters, cited by a range
    p = doc.new_page(width=W, height=H)
    body(p, 60, 130, LOREM + "Figures 2.1 and 1.1 differ in the right lower zone: (Figs. 1.1–2.1) are best read "
         "side by side. " + LOREM)
    p.insert_image(pymupdf.Rect(margin, 145, 290, 335), stream=_radiograph(1, (460, 380)))
    p.insert_image(pymupdf.Rect(305, 145, W - margin, 335), stream=_radiograph(3, (460, 380)))
    p.insert_text((margin + 4, 158), "A", fontsize=11, fontname="hebo", color=(1, 1, 1))
    p.insert_text((309, 158), "B", fontsize=11, fontname="hebo", color=(1, 1, 1))
    caption(p, 342, 380, "Fig. 2.1", "Right lower lobe pneumonia. (A) Frontal radiograph with consolidation. "
            "(B) Follow-up radiograph after treatment.")
    body(p, 400, 700, LOREM * 5)
    for i, page in enumerate(doc, start=1):
        page.insert_text((W / 2 - 4, H - 30), str(i), fontsize=8)
    doc.set_toc([[1, "1 Imaging of the chest", 1], [1, "2 Pneumonia", 3]])
    doc.set_metadata({"title": "A Small Atlas of Chest Imaging (MedBench Builder demo)",
                      "author": "MedBench Builder", "subject": "CC0 demo document",
                      "creationDate": "D:20260101000000Z", "modDate": "D:20260101000000Z"})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return path


DEMO_FIGURES = {("figure", "1.1"): 1, ("figure", "1.2"): 2, ("table", "1.1"): 2, ("figure", "2.1"): 3}
