"""Figures, tables, captions and citing paragraphs from a book or article: the stages in order."""
from __future__ import annotations

import re

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from extractors.caption_builder import attach_continuations, build_caption
from extractors.caption_detector import find_caption_starts
from extractors.citations import Paragraph, find_citing
from extractors.figure_detector import candidate_regions, choose_regions
from extractors.figure_renderer import render_png
from extractors.geometry import Box
from extractors.ocr import OcrUnavailable, guess_language, tesseract_code
from extractors.page_content import PageContent, read_page
from extractors.panels import panel_labels
from extractors.pdf_document import PdfError, open_pdf
from extractors.rotation import DOWN, UP, frame_of, rotated_view
from extractors.sections import page_sections, running_title
from extractors.text_join import word_count
from extractors.region_classifier import classify_lines, document_stats, mark_decorations

EXTRACTOR = "book-figures"
VERSION = "0.2.3"


@dataclass
class ExtractedFigure:
    kind: str
    label: str
    number: str
    page: int
    caption_text: str
    caption_bbox: Box
    figure_bbox: Box
    caption_position: str
    panel_labels: list[str]
    citing: list[Paragraph]
    family: str = ""
    rotation: int = 0            # degrees to turn the crop so that it reads upright
    caption_continued_on: list[int] = field(default_factory=list)
    section: str | None = None   # the chapter / section its page belongs to (extractors.sections)

    @property
    def id_part(self) -> str:
        """Number, prefixed by the word family where it is not the kind's own ('scheme-S1')."""
        return self.number if self.family in ("", self.kind) else f"{self.family}-{self.number}"

    @property
    def cited_on_pages(self) -> list[int]:
        return sorted({p.page for p in self.citing})


@dataclass
class BookExtraction:
    path: str
    page_count: int
    pages_read: list[int]
    figures: list[ExtractedFigure]
    warnings: list[str]
    ocr_pages: list[int]
    ocr_language: str | None
    title: str | None


SCANNED_SHARE = 0.5


def read_pages(doc, path, page_numbers: list[int], ocr: str, language: str | None,
               progress: Callable[[int], None] | None, warnings: list[str]
               ) -> tuple[list[PageContent], str | None]:
    """``ocr``: always; never; auto = OCR the image-only pages of a document that is mostly scanned.
    ``language``: Tesseract's code, or None to guess it from the first page read by OCR. Returns the
    pages and the OCR language used.

    A born-digital book with a few picture-only pages (slides that are screenshots) keeps them as
    pictures: text inside them is part of the picture, not captions or body text.
    """
    pages = []
    for n in page_numbers:
        if ocr == "always" and language is None:
            language = guess_language(doc[n - 1])
        content = _read(doc, path, n, ocr == "always", language, warnings)
        if content is not None:
            pages.append(content)
        if progress:
            progress(1)
    scanned = [i for i, c in enumerate(pages) if c.scanned]
    if ocr == "auto" and pages and len(scanned) >= SCANNED_SHARE * len(pages):
        for i in scanned:
            if language is None:
                language = guess_language(doc[pages[i].number - 1])
            pages[i] = _read(doc, path, pages[i].number, True, language, warnings) or pages[i]
    return pages, language


def _read(doc, path, n: int, ocr: bool, language: str | None, warnings: list[str]) -> PageContent | None:
    try:
        return read_page(doc[n - 1], ocr=ocr, language=language or "eng")
    except OcrUnavailable as exc:
        raise PdfError(path, str(exc), page=n) from exc
    except Exception as exc:  # one bad page must not sink the book
        warnings.append(str(PdfError(path, f"unreadable page skipped ({exc})", page=n)))
        return None


def extract_book(path: str | Path, pages: list[int] | None = None, ocr: str = "auto", language: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 debug_dir: Path | None = None) -> BookExtraction:
    doc = open_pdf(path)
    try:
        page_numbers = pages or list(range(1, doc.page_count + 1))
        page_numbers = [n for n in page_numbers if 1 <= n <= doc.page_count]
        warnings: list[str] = []
        code = tesseract_code(language) if language else None     # None: guessed where OCR is needed
        contents, ocr_language = read_pages(doc, path, page_numbers, ocr, code, progress, warnings)
        figures, regions_by_page = detect(contents)
        title = document_title(doc) or running_title(contents)
        sections = page_sections(doc.get_toc(), contents, title)
        for fig in figures:
            fig.section = sections.get(fig.page)
        if debug_dir is not None:
            from extractors.visual_logger import render_debug_page
            for c in contents:
                render_debug_page(doc[c.number - 1], c, regions_by_page.get(c.number, []),
                                  Path(debug_dir) / f"page-{c.number:04d}.png")
        ocr_pages = [c.number for c in contents if c.ocr]
        return BookExtraction(path=str(path), page_count=doc.page_count, pages_read=[c.number for c in contents],
                              figures=figures, warnings=warnings, ocr_pages=ocr_pages,
                              ocr_language=ocr_language if ocr_pages else None, title=title)
    finally:
        doc.close()


def _looks_like_title(text: str | None) -> bool:
    """Metadata titles are often a file name ("DHF_guidelines_COVER.indd", "Microsoft Word - ch3.doc")."""
    if not text or word_count(text) < 3:
        return False
    return not re.search(r"\.(indd|docx?|pdf|tex|qxd|pages|odt|rtf)\b|^microsoft word|^untitled", text, re.IGNORECASE)


def document_title(doc) -> str | None:
    """The metadata title where it reads as one, else the largest-type lines of the first page."""
    meta = (doc.metadata or {}).get("title")
    if _looks_like_title(meta):
        return " ".join(meta.split())
    if doc.page_count == 0:
        return None
    lines = []
    for block in doc[0].get_text("dict").get("blocks", []):
        for line in block.get("lines", []):
            text = " ".join(s["text"] for s in line["spans"]).strip()
            if len(text) > 2 and line["spans"] and not re.search(r"www\.|https?:|doi\b|\.org\b|\.com\b", text, re.I):
                lines.append((round(max(s["size"] for s in line["spans"]), 1), text))
    if not lines:
        return None
    biggest = max(size for size, _ in lines)
    title = " ".join(text for size, text in lines if size >= biggest - 0.5)
    title = " ".join(title.split())[:300]
    return title if word_count(title) >= 2 else None


def _nearest(citing: dict[tuple, list], captions: list) -> dict[tuple, list]:
    """Citing paragraphs by (label key, caption page): where chapters each have a "Figure 1", a paragraph
    cites the one printed nearest to it (the earlier one on a tie)."""
    pages: dict[tuple, list[int]] = {}
    for c in sorted(captions, key=lambda c: c.page):
        pages.setdefault(c.start.label.key, []).append(c.page)
    out: dict[tuple, list] = {}
    for key, paragraphs in citing.items():
        for para in paragraphs:
            page = min(pages[key], key=lambda p: abs(p - para.page))
            out.setdefault((key, page), []).append(para)
    return out


def _caption_at(start, page: PageContent, views: dict, stats) -> tuple:
    """The caption grown from ``start`` and its candidate regions, worked out in the caption's reading
    frame; with the frame, the view worked in and the roles its lines had before."""
    frame = frame_of(start.line.direction)
    if frame is None:
        view, back = page, None
    else:  # a sideways caption: work in its reading frame
        if (page.number, frame) not in views:
            views[(page.number, frame)] = rotated_view(page, frame)
        view, turned, back = views[(page.number, frame)]
        start = replace(start, line=turned[page.lines.index(start.line)])
    roles = {id(ln): ln.role for ln in view.lines}
    cap = build_caption(start, view)
    return cap, candidate_regions(cap, view, stats), (back, frame), view, roles


def detect(contents: list[PageContent]) -> tuple[list[ExtractedFigure], dict[int, list]]:
    """The pure part: page contents in, figures out."""
    stats = document_stats(contents)
    mark_decorations(contents)
    for c in contents:
        classify_lines(c, stats)
    groups, markers = find_caption_starts(contents, stats)
    by_number = {c.number: c for c in contents}
    views: dict[tuple, tuple] = {}
    captions, candidates, backs = [], [], []

    def keep(found: tuple) -> None:
        cap, cands, (back, frame), view, _ = found
        captions.append(cap)
        candidates.append(cands)
        backs.append((back, frame))
        if frame is not None:
            for orig, turned_line in zip(by_number[cap.page].lines, view.lines):
                if turned_line.role == "caption":
                    orig.role = "caption"

    def give_back(found: tuple) -> None:  # not a caption: its lines are text again
        view, roles = found[3], found[4]
        for ln in view.lines:
            ln.role = roles[id(ln)]

    for group in groups:
        # a book whose chapters each number from 1 prints "Figure 1" as a caption once per chapter, alike:
        # each best-scored candidate, one to a page, that describes a graphic region is a figure
        best = [c for c in group if c.score == group[0].score]
        if len(best) > 1 and len({c.page for c in best}) == len(best):
            tried = [_caption_at(start, by_number[start.page], views, stats) for start in best]
            if sum(1 for found in tried if found[1]) > 1:
                for found in tried:
                    if found[1]:
                        keep(found)
                    else:
                        give_back(found)
                continue
            for found in tried:
                give_back(found)
        for i, start in enumerate(group):  # the best-scored candidate that describes a graphic region
            found = _caption_at(start, by_number[start.page], views, stats)
            if found[1] or i == len(group) - 1:
                keep(found)
                break
            give_back(found)
    attach_continuations(captions, markers, by_number)
    regions = choose_regions(captions, candidates)
    citing = _nearest(find_citing(contents, {c.start.label.key for c in captions}), captions)
    figures = []
    regions_by_page: dict[int, list] = {}
    for cap, region, (back, frame) in zip(captions, regions, backs):
        if region is None:
            continue
        label = cap.start.label
        cap_box, fig_box = (cap.bbox, region.bbox) if back is None else (back(cap.bbox), back(region.bbox))
        figures.append(ExtractedFigure(
            kind=label.kind, label=label.printed, number=label.number, page=cap.page,
            caption_text=cap.text, caption_bbox=cap_box, figure_bbox=fig_box,
            caption_position=region.caption_position,
            panel_labels=panel_labels([ln.text for ln in region.texts], cap.text),
            citing=citing.get((label.key, cap.page), []), family=label.key[0], caption_continued_on=cap.continued_on,
            rotation={None: 0, UP: 90, DOWN: 270}[frame]))
        regions_by_page.setdefault(cap.page, []).append((label.printed, fig_box))
    return figures, regions_by_page


def render_figures(path: str | Path, figures: list[ExtractedFigure], dpi: int
                   ) -> Iterator[tuple[ExtractedFigure, bytes, int, int]]:
    doc = open_pdf(path)
    try:
        for fig in figures:
            png, w, h = render_png(doc[fig.page - 1], fig.figure_bbox, dpi, fig.rotation)
            yield fig, png, w, h
    finally:
        doc.close()
