"""Grows a caption start into the whole caption: the rest of its block and the lines set tight below it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.caption_detector import CaptionStart, ContinuationMarker
from extractors.geometry import Box, union, x_overlap
from extractors.labels import label_at_start
from extractors.page_content import Line, PageContent
from extractors.text_join import join_lines

MAX_LINES = 60


@dataclass
class Caption:
    start: CaptionStart
    lines: list[Line]
    bbox: Box
    text: str
    continued_on: list[int] = field(default_factory=list)

    @property
    def page(self) -> int:
        return self.start.page

    @property
    def kind(self) -> str:
        return self.start.label.kind


def join_text(lines: list[Line]) -> str:
    """Whitespace-normalised text; a word hyphenated at a line end is rejoined, CJK lines join without a space."""
    out = join_lines([ln.text.replace("\u00ad", "") for ln in lines])
    out = re.sub(r"[\x00-\x08\x0b-\x1f]", "", out)
    return " ".join(out.split())


def _grow(page: PageContent, first: Line, size: float, stop_at_body: bool) -> list[Line]:
    """``first``, the rest of its block, then blocks set tight below in the same font size."""
    lines = [first]
    idx = page.lines.index(first)
    for ln in page.lines[idx + 1:]:
        if ln.block != first.block or label_at_start(ln.text) or len(lines) >= MAX_LINES:
            break
        lines.append(ln)
    # a label alone on its line ("FIGURE 1") may stand further apart from its text, in a type of its own
    alone = len(lines) == 1 and _label_only(first)
    while len(lines) < MAX_LINES:
        last = lines[-1]
        box = union(l.bbox for l in lines)
        leading = [b.bbox[1] - a.bbox[3] for a, b in zip(lines, lines[1:]) if b.bbox[1] > a.bbox[1] + 1]
        if len(leading) >= 3:
            leading = leading[1:]  # a label or title line may stand apart from the text under it
        # a gap wider than the caption's own line spacing is a paragraph break
        max_gap = max(leading) + 1.0 if leading else (2.0 if alone else 0.6) * size + 1.5
        size_tol = max(0.6, 0.35 * size) if alone else 0.6
        below = [ln for ln in page.lines
                 if ln not in lines and ln.horizontal and ln.bbox[1] >= last.bbox[1] + 0.5 * (last.bbox[3] - last.bbox[1])
                 and ln.bbox[1] - last.bbox[3] <= max_gap
                 and x_overlap(ln.bbox, box) >= 0.5 * min(ln.bbox[2] - ln.bbox[0], box[2] - box[0])
                 and abs(ln.size - size) <= size_tol and ln.role not in ("margin", "caption")]
        if not below:
            break
        nxt = min(below, key=lambda l: (l.bbox[1], l.bbox[0]))
        if label_at_start(nxt.text) or (stop_at_body and nxt.role == "body") or _tabular(nxt, page, box):
            break
        block = [ln for ln in page.lines if ln.block == nxt.block and ln.bbox[1] >= nxt.bbox[1] - 1]
        lines.extend(block if block else [nxt])
        if alone:
            alone, size = False, nxt.size
    return lines


def _label_only(ln: Line) -> bool:
    label = label_at_start(ln.text)
    return label is not None and not ln.text[label.end:].strip(" .:|\u2014\u2013-")


def _tabular(ln: Line, page: PageContent, box) -> bool:
    """A table row, not caption text: cells with wide gaps, or other cells on the same baseline."""
    if ln.wide_gaps >= 1:
        return True
    return any(other is not ln and other.block != ln.block and x_overlap(other.bbox, box) > 0
               and min(other.bbox[3], ln.bbox[3]) - max(other.bbox[1], ln.bbox[1]) > 0.5 * (ln.bbox[3] - ln.bbox[1])
               for other in page.lines)


def build_caption(start: CaptionStart, page: PageContent) -> Caption:
    lines = _grow(page, start.line, start.line.size, stop_at_body=start.line.role != "body")
    for ln in lines:
        ln.role = "caption"
    return Caption(start=start, lines=lines, bbox=union(l.bbox for l in lines), text=join_text(lines))


def attach_continuations(captions: list[Caption], markers: list[ContinuationMarker],
                         pages: dict[int, PageContent]) -> None:
    """Legends split across pages ('Figure 2 continued on next page' / 'Figure 2 continued')."""
    by_label: dict[tuple, list[Caption]] = {}
    for c in sorted(captions, key=lambda c: c.page):
        by_label.setdefault(c.start.label.key, []).append(c)
    for m in markers:
        # the caption of that label last printed before the marker (chapters may each have a "Figure 1")
        cap = next((c for c in reversed(by_label.get(m.label.key, [])) if c.page <= m.page), None)
        page = pages.get(m.page)
        if cap is None or page is None:
            continue
        m.line.role = "caption"
        if m.page == cap.page:  # the 'continued on next page' line under the first part
            continue
        lines = _grow(page, m.line, cap.start.line.size, stop_at_body=True)
        for ln in lines:
            ln.role = "caption"
        rest = join_text(lines)[len(m.line.text[:m.label.end]):]
        rest = re.sub(r"^[.:]?\s*\(?\s*cont\w*\.?\)?\s*", "", rest, flags=re.IGNORECASE)
        if rest:
            cap.text = f"{cap.text} {rest}"
        cap.continued_on.append(m.page)
    for cap in captions:
        cap.text = re.sub(rf"\s*{re.escape(cap.start.label.printed)} continued on next page\s*$", "", cap.text,
                          flags=re.IGNORECASE)
