"""What a page holds, as plain values: text lines with their fonts, and graphic elements.

Text comes from ``page.get_text("dict")`` (ligatures expanded); PyMuPDF sometimes splits one
printed line into several "lines" of a block, so lines of a block that share a baseline are
joined. Graphics come from ``page.get_bboxlog()``: the cheap list of painted boxes, which covers
raster images and vector paths alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from extractors.geometry import Box, area, clip, height, width
from extractors.labels import label_at_start
from extractors.text_join import is_cjk

TEXT_FLAGS = (pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_LIGATURES & ~pymupdf.TEXT_PRESERVE_IMAGES)
_GRAPHIC_TYPES = ("fill-path", "stroke-path", "fill-image", "fill-imgmask", "fill-shade")


@dataclass(slots=True)
class Span:
    text: str
    bbox: Box
    size: float
    bold: bool
    font: str


@dataclass(slots=True)
class Line:
    """One printed line. Spans are read once and summed up here, so a long book stays small in memory."""
    text: str
    bbox: Box
    size: float
    bold: bool
    font: str
    block: int
    direction: tuple[float, float]
    first_bold: bool = False     # the first word (a caption label, say) is bold
    wide_gaps: int = 0           # gaps wider than 2.5 em between spans: table cells on one line
    # filled in by the region classifier
    role: str = "other"          # body | margin | caption | figure-text | note | other
    in_image: bool = False

    @property
    def horizontal(self) -> bool:
        return abs(self.direction[0] - 1.0) < 0.05


@dataclass(slots=True)
class Graphic:
    bbox: Box
    kind: str                    # image | path
    decoration: bool = False


@dataclass
class PageContent:
    number: int                  # 1-based
    rect: Box
    lines: list[Line] = field(default_factory=list)
    graphics: list[Graphic] = field(default_factory=list)
    ocr: bool = False
    ocr_language: str | None = None
    scanned: bool = False        # no text layer, mostly image: OCR would be needed
    image_xrefs: frozenset = frozenset()   # the pictures the page draws (which, not where)


def _is_bold(span: dict) -> bool:
    name = span.get("font", "").lower()
    return bool(span.get("flags", 0) & 16) or any(k in name for k in ("bold", "black", "heavy", "semibold"))


def _lines_from_dict(d: dict) -> list[Line]:
    lines: list[Line] = []
    for bno, block in enumerate(d.get("blocks", [])):
        if block.get("type") != 0:
            continue
        raw = []
        for ln in block.get("lines", []):
            spans = [Span(s["text"], tuple(s["bbox"]), s["size"], _is_bold(s), s.get("font", ""))
                     for s in ln.get("spans", []) if s.get("text", "").strip()]
            if spans:
                raw.append((tuple(ln["bbox"]), tuple(ln.get("dir", (1.0, 0.0))), spans))
        for bbox, direction, spans in _join_same_baseline(raw):
            text = _join_spans(spans)
            chars = sum(len(s.text.strip()) for s in spans) or 1
            by_size: dict[float, int] = {}
            for s in spans:  # the size most of the line is set in (superscripts aside)
                by_size[round(s.size, 1)] = by_size.get(round(s.size, 1), 0) + len(s.text.strip())
            size = max(by_size, key=by_size.get)
            bold_chars = sum(len(s.text.strip()) for s in spans if s.bold)
            main = max(spans, key=lambda s: len(s.text.strip()))
            gaps = [b.bbox[0] - a.bbox[2] for a, b in zip(spans, spans[1:])]
            lines.append(Line(text=text, bbox=bbox, size=round(size, 2), bold=bold_chars * 2 > chars,
                              font=main.font, block=bno, direction=direction, first_bold=spans[0].bold,
                              wide_gaps=sum(1 for g in gaps if g > 2.5 * size)))
    return lines


def _join_same_baseline(raw):
    """Merge PyMuPDF lines of one block that sit on the same baseline (word-split lines).

    A caption label set apart by a wide gap starts a line of its own: two short captions side by side."""
    out: list[list] = []
    for bbox, direction, spans in raw:
        if out:
            pb, pdir, pspans = out[-1]
            horizontal = abs(direction[0] - 1.0) < 0.05 and pdir == direction
            overlap = min(pb[3], bbox[3]) - max(pb[1], bbox[1])
            beside = bbox[0] - pb[2] > 2.5 * spans[0].size and label_at_start(spans[0].text) is not None
            if horizontal and overlap > 0.5 * min(height(pb), height(bbox)) and bbox[0] >= pb[0] and not beside:
                out[-1] = [(min(pb[0], bbox[0]), min(pb[1], bbox[1]), max(pb[2], bbox[2]), max(pb[3], bbox[3])),
                           pdir, pspans + spans]
                continue
        out.append([bbox, direction, spans])
    return out


def _join_spans(spans: list[Span]) -> str:
    text = ""
    prev: Span | None = None
    for s in spans:
        if prev is not None and not text.endswith((" ", "\t")) and not s.text.startswith((" ", "\t")):
            gap = s.bbox[0] - prev.bbox[2]
            # OCR gives Chinese word by word, with gaps; printed Chinese has no spaces between words
            if gap > 0.15 * s.size and not (is_cjk(text[-1:]) and is_cjk(s.text[:1]) and gap < s.size):
                text += " "
        text += s.text
        prev = s
    return " ".join(text.split())


def _graphics(log: list, rect: Box) -> list[Graphic]:
    page_area = area(rect)
    out: list[Graphic] = []
    for kind, r in log:
        if kind not in _GRAPHIC_TYPES:
            continue
        b = clip(tuple(r), rect) if r else None
        if b is None:
            # a hairline rule has zero height: keep it if it lies on the page
            if r and r[0] < r[2] and rect[1] <= r[1] <= rect[3] and abs(r[3] - r[1]) < 1:
                b = (max(r[0], rect[0]), r[1], min(r[2], rect[2]), r[3] + 0.5)
            else:
                continue
        if max(width(b), height(b)) < 1.0 or area(b) > 0.85 * page_area:
            continue
        out.append(Graphic(bbox=b, kind="image" if "im" in kind else "path"))
    return out


def read_page(page: pymupdf.Page, ocr: bool = False, language: str = "eng") -> PageContent:
    """``ocr``: run Tesseract on this page if it has no usable text layer (or always, with ``force``)."""
    rect = tuple(page.rect)
    d = page.get_text("dict", flags=TEXT_FLAGS)
    lines = _lines_from_dict(d)
    log = page.get_bboxlog()
    content = PageContent(number=page.number + 1, rect=rect, lines=lines, graphics=_graphics(log, rect),
                          scanned=needs_ocr(lines, log, rect),
                          image_xrefs=frozenset(img[0] for img in page.get_images(full=True)))
    if ocr:
        from extractors.ocr import ocr_lines
        from extractors.raster_graphics import raster_graphics
        content.lines = ocr_lines(page, language)
        content.graphics += raster_graphics(page, content.lines)
        content.ocr, content.ocr_language = True, language
    return content


def needs_ocr(lines: list[Line], log: list, rect: Box) -> bool:
    """A scanned page: (almost) no text layer, and images cover most of it."""
    if sum(len(l.text) for l in lines) >= 20:
        return False
    covered = sum(area(clip(tuple(r), rect) or (0, 0, 0, 0)) for kind, r in log if "image" in kind)
    return covered > 0.5 * area(rect)
