"""Draws every intermediate box on the page image, so a person can see why a region came out as it did."""
from __future__ import annotations

import io
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw

from extractors.page_content import PageContent

COLOURS = {
    "body": (160, 160, 160), "margin": (200, 120, 255), "caption": (220, 0, 0), "other": (255, 170, 0),
    "note": (150, 80, 0),
    "figure-text": (255, 170, 0), "image": (0, 90, 255), "path": (0, 190, 230), "decoration": (190, 190, 190),
    "region": (0, 170, 0),
}


def render_debug_page(page: pymupdf.Page, content: PageContent, regions: list[tuple[str, tuple]],
                      out: Path, dpi: int = 72) -> Path:
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    img = Image.open(io.BytesIO(pix.tobytes("png"))).convert("RGB")
    draw = ImageDraw.Draw(img)
    s = dpi / 72
    x0, y0 = page.rect.x0, page.rect.y0

    def rect(b, colour, w=1):
        if page.rotation:  # boxes are unrotated; the picture is the page as displayed
            b = tuple(pymupdf.Rect(b) * page.rotation_matrix)
        draw.rectangle([(b[0] - x0) * s, (b[1] - y0) * s, (b[2] - x0) * s, (b[3] - y0) * s], outline=colour, width=w)

    for g in content.graphics:
        rect(g.bbox, COLOURS["decoration" if g.decoration else g.kind])
    for ln in content.lines:
        rect(ln.bbox, COLOURS.get(ln.role, (0, 0, 0)))
    for label, b in regions:
        rect(b, COLOURS["region"], 3)
        shown = tuple(pymupdf.Rect(b) * page.rotation_matrix) if page.rotation else b
        draw.text(((shown[0] - x0) * s + 3, (shown[1] - y0) * s + 3), label, fill=COLOURS["region"])
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out
