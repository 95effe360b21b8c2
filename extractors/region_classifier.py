"""Gives each text line a role and marks decorative graphics, using statistics of the whole document.

Body text is what bounds a figure: a figure region grows from its caption until it meets running
text. Lines inside raster images, short labels and table cells are not body text. Graphics that
repeat at the same place on many pages (logos, running rules, chapter tabs) are decoration.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from extractors.geometry import Box, area, center, height, inside
from extractors.page_content import PageContent
from extractors.text_join import text_width, word_count


FIGURE_SIZED = 0.08    # of the page's area


@dataclass
class DocStats:
    body_size: float
    body_font: str
    page_count: int


def document_stats(pages: list[PageContent]) -> DocStats:
    sizes: Counter = Counter()
    fonts: Counter = Counter()
    for p in pages:
        for ln in p.lines:
            if ln.horizontal:
                n = len(ln.text)
                sizes[round(ln.size, 1)] += n
                fonts[ln.font] += n
    # sizes jitter (9.9, 10.0, 10.1 for one body font): take the densest 0.6-pt window
    body_size = max(sizes, key=lambda s: sum(n for t, n in sizes.items() if abs(t - s) <= 0.3)) if sizes else 10.0
    body_font = fonts.most_common(1)[0][0] if fonts else ""
    return DocStats(body_size=body_size, body_font=body_font, page_count=len(pages))


def mark_decorations(pages: list[PageContent]) -> None:
    """Graphics at one position on several pages are page furniture, not figures. A picture as large as a
    figure is furniture only where it is one picture drawn on each of those pages (a slide's background):
    figures scaled to one width and set at the top of their pages share a box too, but not a picture."""
    if len(pages) < 3:
        return
    where: dict[tuple, list[PageContent]] = {}
    for p in pages:
        for key in {_key(g.bbox) for g in p.graphics}:
            where.setdefault(key, []).append(p)
    threshold = max(3, int(0.2 * len(pages)))
    one_picture: dict[tuple, bool] = {}    # per place, once: do all its pages draw a picture in common?
    for p in pages:
        for g in p.graphics:
            key = _key(g.bbox)
            if len(where[key]) < threshold:
                continue
            if g.kind == "image" and area(g.bbox) > FIGURE_SIZED * area(p.rect):
                if key not in one_picture:
                    one_picture[key] = bool(frozenset.intersection(*(h.image_xrefs for h in where[key])))
                g.decoration = one_picture[key]
            else:
                g.decoration = True


def _key(b: Box) -> tuple:
    return tuple(round(v / 3) for v in b)


def classify_lines(page: PageContent, stats: DocStats) -> None:
    top, bottom = page.rect[1], page.rect[3]
    margin_band = 0.075 * (bottom - top)
    edge = 0.08 * (bottom - top)
    for g in page.graphics:  # running-footer bands and header rules
        h = max(g.bbox[3] - g.bbox[1], 1e-6)
        in_band = max(0.0, min(g.bbox[3], top + edge) - g.bbox[1]) + max(0.0, g.bbox[3] - max(g.bbox[1], bottom - edge))
        if in_band >= 0.8 * h:
            g.decoration = True
    images = [g.bbox for g in page.graphics if g.kind == "image" and not g.decoration and area(g.bbox) > 400]
    tol = max(0.3, 0.04 * stats.body_size)
    for ln in page.lines:
        ln.in_image = any(inside(center(ln.bbox), b) for b in images)
        words = word_count(ln.text)
        if ln.in_image:
            ln.role = "figure-text"
        elif (ln.bbox[3] < top + margin_band or ln.bbox[1] > bottom - margin_band) and len(ln.text) < 120:
            ln.role = "margin"
        elif (ln.horizontal and abs(ln.size - stats.body_size) <= tol and text_width(ln.text) >= 30 and words >= 5
              and not _looks_tabular(ln)):
            ln.role = "body"
        else:
            ln.role = "other"
    body_blocks = Counter(ln.block for ln in page.lines if ln.role == "body")
    for ln in page.lines:  # the short last line of a paragraph is running text too
        if (ln.role == "other" and body_blocks[ln.block] >= 2 and abs(ln.size - stats.body_size) <= tol
                and ln.horizontal):
            ln.role = "body"
    for ln in page.lines:
        if ln.role == "other" and ln.size < stats.body_size - tol and _NOTE.match(ln.text):
            ln.role = "note"


# A note set in small type under a figure or table: where it comes from ("Source: adapted from...",
# "a Reproduced by kind permission of...", "Fonte:", "Fuente:") or a footnote to it ("*Not determined",
# "† p < 0.05"). It belongs to neither the picture nor the caption.
_NOTE = re.compile(
    r"^\s*(?:[*∗†‡§]|[a-e]\s+(?=(?:source|sources|adapted|reproduced|modified|fonte|fuente|adaptado|reproduzido)\b))"
    r"|^\s*(?:source|sources|fonte|fontes|fuente|fuentes|adapted from|reproduced (?:from|with|by)|adaptado de"
    r"|reproduzido de|资料来源|資料來源|来源|來源)\s*[:：]?", re.IGNORECASE)


def _looks_tabular(ln) -> bool:
    """Cells of one table row joined into a line: wide gaps between spans."""
    return ln.wide_gaps >= 2


def is_heading(ln, stats: DocStats) -> bool:
    return (ln.role == "other" and not ln.in_image and ln.horizontal and ln.bold
            and ln.size >= stats.body_size + 0.9 and 3 <= len(ln.text) <= 120 and height(ln.bbox) < 40)
