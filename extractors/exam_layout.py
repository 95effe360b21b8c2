"""Exam pages as lines of spans in reading order, with page furniture taken out.

Booklets set options several to a row and mark them with glyphs that live in their own spans, so
lines here keep their spans. Columns are found from the gutter that no line crosses; running
headers, page numbers and "ÁREA LIVRE"-style notes are lines that recur across pages.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import pymupdf

from extractors.geometry import Box, union
from extractors.page_content import TEXT_FLAGS
from extractors.text_join import is_cjk


@dataclass(slots=True)
class XSpan:
    text: str
    bbox: Box
    font: str
    size: float
    bold: bool

    @property
    def ink(self) -> Box:
        """The box of the span's visible text: padding spaces can reach across a column gutter."""
        t = self.text
        n = len(t) or 1
        lead, trail = len(t) - len(t.lstrip()), len(t) - len(t.rstrip())
        if lead == n:
            c = (self.bbox[0] + self.bbox[2]) / 2
            return (c, self.bbox[1], c, self.bbox[3])
        w = self.bbox[2] - self.bbox[0]
        return (self.bbox[0] + w * lead / n, self.bbox[1], self.bbox[2] - w * trail / n, self.bbox[3])


@dataclass
class XLine:
    page: int
    column: int
    bbox: Box
    spans: list[XSpan]
    furniture: bool = False

    @property
    def text(self) -> str:
        return join_spans(self.spans)

    @property
    def x0(self) -> float:
        return self.bbox[0]


@dataclass
class ExamPage:
    number: int
    rect: Box
    lines: list[XLine] = field(default_factory=list)
    images: list[Box] = field(default_factory=list)
    ocr: bool = False
    # a page is read turned the way its text runs (_frame); this maps its boxes back to the page's own
    # coordinates, those records keep
    unrotate: tuple | None = None

    def page_box(self, box: Box) -> Box:
        return tuple(pymupdf.Rect(box) * pymupdf.Matrix(self.unrotate)) if self.unrotate else box


def join_spans(spans: list[XSpan]) -> str:
    out = ""
    prev = None
    for s in spans:
        t = s.text
        if prev is not None and out and not out.endswith(" ") and not t.startswith(" "):
            gap = s.bbox[0] - prev.bbox[2]
            if gap > 0.25 * max(s.size, 1) and not (is_cjk(out[-1]) or is_cjk(t[:1])):
                out += " "
        out += t
        prev = s
    return out


# turns that bring a line read in direction (dx, dy) to read left to right
_TURNS = {(0, 1): (0, -1, 1, 0, 0, 0), (0, -1): (0, 1, -1, 0, 0, 0), (-1, 0): (-1, 0, 0, -1, 0, 0)}


def _frame(page: pymupdf.Page, d: dict) -> pymupdf.Matrix | None:
    """The page turned so that most of its text reads left to right, from the page's own coordinates
    (None: as it is). A landscape page with /Rotate usually reads upright as displayed; a page whose
    /Rotate is wrong, or whose text is set sideways, reads upright some other way."""
    chars: Counter = Counter()
    for block in d.get("blocks", []):
        for ln in block.get("lines", []):
            dx, dy = ln.get("dir", (1, 0))
            chars[(round(dx), round(dy))] += sum(len(sp.get("text", "").strip()) for sp in ln.get("spans", []))
    way = max(chars, key=chars.get) if chars else (1, 0)
    if way not in _TURNS:
        return None
    turn = pymupdf.Matrix(_TURNS[way])
    turned = _own_rect(page) * turn
    return turn * pymupdf.Matrix(1, 0, 0, 1, -turned.x0, -turned.y0)


def _own_rect(page: pymupdf.Page) -> pymupdf.Rect:
    """The page's rectangle in its own (unrotated) coordinates, those of its text and images."""
    return pymupdf.Rect(page.rect) * page.derotation_matrix


def _spans(page: pymupdf.Page, textpage=None) -> tuple[list[XSpan], pymupdf.Matrix | None]:
    """The spans of lines that read left to right once the page is turned to read (``_frame``), with
    their boxes in that frame; and the frame."""
    out = []
    d = page.get_text("dict", flags=TEXT_FLAGS, textpage=textpage)
    m = _frame(page, d)
    for block in d.get("blocks", []):
        for ln in block.get("lines", []):
            dx, dy = ln.get("dir", (1, 0))
            if m is not None:
                dx = dx * m.a + dy * m.c
            if abs(dx - 1) > 0.05:
                continue
            for s in ln.get("spans", []):
                text = s.get("text", "")
                if not text or s["size"] < 4:
                    continue  # spaces in spans of their own are kept: they separate words
                name = s.get("font", "")
                bold = bool(s.get("flags", 0) & 16) or "bold" in name.lower()
                box = tuple(pymupdf.Rect(s["bbox"]) * m) if m is not None else tuple(s["bbox"])
                out.append(XSpan(text, box, name, s["size"], bold))
    return out, m


def _gutter(spans: list[XSpan], rect: Box) -> float | None:
    """The x of an empty vertical strip in the middle third that splits the text into two columns."""
    x0, _, x1, _ = rect
    width = x1 - x0
    lo, hi = int(x0 + 0.3 * width), int(x0 + 0.7 * width)
    cover = [0] * (hi - lo)
    for s in spans:
        ink = s.ink
        a, b = max(lo, int(ink[0])), min(hi, int(ink[2]) + 1)
        for x in range(a, b):
            cover[x - lo] += 1
    allowed = max(1, len(spans) // 50)  # a wide table or a banner may cross the gutter
    best, run_start, best_len = None, None, 0
    for i, c in enumerate(cover + [allowed + 1]):
        if c <= allowed and run_start is None:
            run_start = i
        elif c > allowed and run_start is not None:
            if i - run_start > best_len:
                best_len, best = i - run_start, lo + (run_start + i) / 2
            run_start = None
    if best is None or best_len < 6:
        return None
    # columns of running text: lines wrap close to the gutter on the left and start close after it
    # on the right (a row of options set four across leaves a gap too, but ragged)
    half = best_len / 2 + 20
    left_rows = _rows([s for s in spans if s.ink[2] <= best])
    right_rows = _rows([s for s in spans if s.ink[0] >= best])
    wrap_left = sum(1 for r in left_rows if best - half <= max(s.ink[2] for s in r) and len(join_spans(r)) > 15)
    start_right = sum(1 for r in right_rows if min(s.ink[0] for s in r) <= best + half and len(join_spans(r)) > 15)
    return best if wrap_left >= 4 and start_right >= 4 else None


def _rows(spans: list[XSpan]) -> list[list[XSpan]]:
    """Spans on one baseline, left to right; rows of nothing but spaces are dropped."""
    rows: list[list[XSpan]] = []
    for s in sorted(spans, key=lambda s: ((s.bbox[1] + s.bbox[3]) / 2, s.bbox[0])):
        if rows:
            r = rows[-1]
            top, bottom = min(x.bbox[1] for x in r), max(x.bbox[3] for x in r)
            h = min(bottom - top, s.bbox[3] - s.bbox[1])
            if min(bottom, s.bbox[3]) - max(top, s.bbox[1]) > 0.5 * h:
                r.append(s)
                continue
        rows.append([s])
    return [sorted(r, key=lambda s: s.bbox[0]) for r in rows if any(s.text.strip() for s in r)]


def _lines(spans: list[XSpan], gutter: float | None, number: int) -> list[XLine]:
    if gutter is None:
        return [XLine(number, 0, union(s.bbox for s in r), r) for r in _rows(spans)]
    crossing = [s for s in spans if s.ink[0] < gutter - 1 and s.ink[2] > gutter + 1]
    # a marker or a label set in a column on the baseline of a full-width line is part of that line
    bands = [(s.bbox[1], s.bbox[3]) for s in crossing]
    crossing += [s for s in spans if s not in crossing and any(
        min(b, s.bbox[3]) - max(a, s.bbox[1]) > 0.5 * (s.bbox[3] - s.bbox[1]) for a, b in bands)]
    left = [s for s in spans if s not in crossing and (s.ink[0] + s.ink[2]) / 2 < gutter]
    right = [s for s in spans if s not in crossing and (s.ink[0] + s.ink[2]) / 2 >= gutter]
    full = [XLine(number, -1, union(s.bbox for s in r), r) for r in _rows(crossing)]
    cols = [[XLine(number, c, union(s.bbox for s in r), r) for r in _rows(side)]
            for c, side in enumerate((left, right))]
    _lift_into_full_width(cols, full)
    # full-width lines split the page into bands; each band reads left column, then right
    cuts = sorted(l.bbox[1] for l in full)

    def band(line: XLine) -> int:
        return sum(1 for c in cuts if c <= line.bbox[1] + (0 if line.column == -1 else 0.5))

    return sorted(full + cols[0] + cols[1], key=lambda l: (band(l), 0 if l.column == -1 else 1, l.column, l.bbox[1]))


def _lift_into_full_width(cols: list[list[XLine]], full: list[XLine]) -> None:
    """A heading set in one column right above a full-width block, below everything in the other
    column and apart from its own column's text, opens that block (a full-width question's
    'QUESTÃO 100' banner): it is read with the block, not before the other column."""
    tops = sorted(l.bbox[1] for l in full)
    for c, own in enumerate(cols):
        other = cols[1 - c]
        for k, line in enumerate(own):
            h = line.bbox[3] - line.bbox[1]
            below_block = [t for t in tops if t >= line.bbox[3]]
            if not below_block or below_block[0] - line.bbox[3] > 2 * h:
                continue
            if any(o.bbox[3] > line.bbox[1] and o.bbox[1] < below_block[0] for o in other):
                continue
            prev = own[k - 1] if k else None
            if prev is not None and line.bbox[1] - prev.bbox[3] < 0.5 * h:
                continue
            if any(o.bbox[1] > line.bbox[1] and o.bbox[1] < below_block[0] for o in own):
                continue
            own.remove(line)
            line.column = -1
            full.append(line)
            break


def _images(page: pymupdf.Page, m: pymupdf.Matrix | None) -> list[Box]:
    out = []
    for info in page.get_image_info():
        b = tuple(pymupdf.Rect(info["bbox"]) * m) if m is not None else tuple(info["bbox"])
        if b[2] - b[0] >= 20 and b[3] - b[1] >= 20:
            out.append(b)
    return out


def read_exam_pages(doc: pymupdf.Document, numbers: list[int], progress=None, ocr_language: str | None = None
                    ) -> list[ExamPage]:
    """Pages in reading order. The column gutter is the booklet's: a page whose right column holds
    only a note, or that sets one question across the full width, still has the same columns.
    With ``ocr_language`` (a Tesseract code, or ocr.GUESS), pages that have no text layer are read by OCR."""
    raw = []
    for n in numbers:
        page = doc[n - 1]
        spans, m = _spans(page)
        images = _images(page, m)
        if ocr_language and not any(s.text.strip() for s in spans):
            from extractors.ocr import GUESS, guess_language, ocr_textpage
            from extractors.raster_graphics import raster_graphics
            if ocr_language == GUESS:
                ocr_language = guess_language(page)
            spans, m = _spans(page, ocr_textpage(page, ocr_language))
            images = [g.bbox for g in raster_graphics(page, [s for s in spans if s.text.strip()])]
        rect = tuple(_own_rect(page) * m) if m is not None else tuple(_own_rect(page))
        unrotate = tuple(~m) if m is not None else None
        raw.append((n, rect, spans, _gutter(spans, rect), images, unrotate))
        if progress:
            progress(1)
    found = Counter(round(g / 4) * 4 for *_, g, _, _ in raw if g is not None)
    shared = found.most_common(1)[0][0] if found and found.most_common(1)[0][1] >= max(2, 0.3 * len(raw)) else None
    pages = []
    for n, rect, spans, gutter, images, unrotate in raw:
        if gutter is None and shared is not None:
            beside = [s for s in spans if s.ink[2] <= shared or s.ink[0] >= shared]
            if len(beside) >= 0.5 * len(spans):
                gutter = shared
        pages.append(ExamPage(n, rect, _lines(spans, gutter, n), images, unrotate=unrotate))
    return pages


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


EDGE_BAND = 0.15   # of the page height, top and bottom


def mark_furniture(pages: list[ExamPage], protect) -> None:
    """Running headers and footers, page numbers, and notes like 'ÁREA LIVRE', except lines that
    ``protect`` says are content (question starts, option lines).

    Furniture is what recurs at one place on several pages near their top or bottom edge (or on most
    pages), what sits short in the top or bottom margin, or an all-capitals note that recurs anywhere.
    Repeated content lines ('Hemoglobin 8.9 g/dL', 'Which of the following...') recur too, but at
    varying places, in lower case, and where they land at one place by chance, on a few pages only.
    """
    at_place: Counter = Counter()
    anywhere: Counter = Counter()
    for p in pages:
        at_place.update({(_norm(l.text), round(l.bbox[1] / 4), round(l.bbox[0] / 8)) for l in p.lines})
        anywhere.update(_norm(l.text) for l in p.lines)
    threshold = max(3, int(0.1 * len(pages)))
    for p in pages:
        height = p.rect[3] - p.rect[1]
        for l in p.lines:
            key = _norm(l.text)
            if protect(l):
                continue
            letters = [ch for ch in l.text if ch.isalpha()]
            shouting = len(letters) >= 4 and all(ch.isupper() for ch in letters)
            in_margin = l.bbox[3] < p.rect[1] + 0.06 * height or l.bbox[1] > p.rect[3] - 0.05 * height
            recurs = at_place[(key, round(l.bbox[1] / 4), round(l.bbox[0] / 8))]
            # a content line ('Which of the following...') may land at one height on a few pages by chance;
            # a running header sits near the page's edge or recurs on most pages
            near_edge = l.bbox[3] < p.rect[1] + EDGE_BAND * height or l.bbox[1] > p.rect[3] - EDGE_BAND * height
            running = recurs >= threshold and (near_edge or 2 * recurs >= len(pages))
            if (not key or re.fullmatch(r"[#\W_]*", key) or running
                    or (in_margin and len(key) < 40) or (shouting and anywhere[key] >= 3)):
                l.furniture = True
