"""Finds the lines that start a caption, and tells them from in-text mentions.

A line that begins with a label ("Fig. 3", "Tabela 2") is a caption start when its typography
says so: a bold or otherwise distinct label, a delimiter after the number, the start of a text
block. "Figure 3a)." or "Table 2 shows ..." inside a paragraph is a mention. When one label has
several candidates in a document, the best-scored one wins, as in pdffigures2.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.labels import Label, label_at_start
from extractors.page_content import Line, PageContent
from extractors.region_classifier import DocStats
from extractors.text_join import is_cjk

_CONTINUATION = re.compile(r"^[.:]?\s*\(?\s*(cont(\.|inued|inuação|inuación|inua)?)\b", re.IGNORECASE)
# "Figure 2.", "Fig. 2:", "Figura 1 – Título", "FIG 3\u2002", "图1：", "Table 1" alone on its line
_STRONG_DELIM = re.compile(r"^(\s*[.:|\uff1a]|[\u2002\u2003\u3000\t]|\s{2,}|\s+[\u2014\u2013\-]\s|\s*$)")
# "Figure 3a).", "Fig. 2, 3", "Figure 1\u2014figure supplement 2": a mention, not a caption
_REJECT_NEXT = re.compile(r"^(\s*[),;/]|[\u2014\u2013\-]\S)")


@dataclass
class CaptionStart:
    page: int
    line: Line
    label: Label
    score: float


@dataclass
class ContinuationMarker:
    page: int
    line: Line
    label: Label
    rest: str


def beside_a_graphic(line: Line, page: PageContent) -> bool:
    """The line sits right above or below a picture or a drawing, across its width: where a caption
    is set, as pdffigures2 looks for one."""
    x0, y0, x1, y1 = line.bbox
    gap = 2 * max(1.0, y1 - y0)
    for g in page.graphics:
        gx0, gy0, gx1, gy1 = g.bbox
        if g.decoration or min(x1, gx1) - max(x0, gx0) <= 0:
            continue
        if 0 <= y0 - gy1 <= gap or 0 <= gy0 - y1 <= gap:
            return True
    return False


def score_candidate(line: Line, label: Label, first_in_block: bool, stats: DocStats,
                    beside_graphic: bool = False) -> float | None:
    rest = line.text[label.end:]
    if _REJECT_NEXT.match(rest):
        return None
    stripped = rest.strip()
    label_bold = line.first_bold
    if stripped and stripped[0].isascii() and stripped[0].islower() and not label_bold:
        return None
    score = 0.0
    if label_bold:
        score += 3 if not line.bold or len(line.text) < 80 else 2
    # running CJK text has no spaces, so a space after "图1-1" sets a caption apart ("如图1-1所示" has none)
    if _STRONG_DELIM.match(rest) or (is_cjk(label.word[0]) and rest[:1].isspace()):
        score += 2
    if first_in_block:
        score += 1
    tol = max(0.6, 0.12 * stats.body_size)
    if abs(line.size - stats.body_size) > tol or (line.font != stats.body_font and not line.bold):
        score += 1
    if label.word.isupper() and len(label.word) > 3:
        score += 1
    if beside_graphic:
        score += 1
    if line.role == "body" and not first_in_block:
        score -= 3
    return score


def find_caption_starts(pages: list[PageContent], stats: DocStats
                        ) -> tuple[list[list[CaptionStart]], list[ContinuationMarker]]:
    """Candidates grouped per label, best first; the figure detector takes the first that has a region."""
    candidates: list[CaptionStart] = []
    markers: list[ContinuationMarker] = []
    for page in pages:
        prev_block = None
        for line in page.lines:
            first_in_block = line.block != prev_block
            prev_block = line.block
            label = label_at_start(line.text)
            if label is None or line.role == "margin":
                continue
            rest = line.text[label.end:]
            if _CONTINUATION.match(rest):
                markers.append(ContinuationMarker(page.number, line, label, rest))
                continue
            score = score_candidate(line, label, first_in_block, stats, beside_a_graphic(line, page))
            # OCR text has no fonts to go by: a label that opens a block is evidence enough
            if score is not None and score >= (1 if page.ocr and first_in_block else 2):
                candidates.append(CaptionStart(page.number, line, label, score))
    groups: dict[tuple[str, str], list[CaptionStart]] = {}
    for c in candidates:
        groups.setdefault(c.label.key, []).append(c)
    ordered = [sorted(g, key=lambda c: -c.score) for g in groups.values()]  # stable: page order on ties
    ordered.sort(key=lambda g: (g[0].page, g[0].line.bbox[1], g[0].line.bbox[0]))
    return ordered, markers
