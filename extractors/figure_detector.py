"""Finds the graphic region each caption describes.

From the caption, a region grows away from it (up, down, or sideways) over graphic elements and
non-body text until it meets running text, another caption, the page margin, or a wide gap. A
figure needs painted graphics (raster or vector); a table may be text alone. When both sides of a
caption hold a candidate, the side the document uses for its unambiguous captions of that kind
wins (books are consistent: "captions below figures, above tables").
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from extractors.caption_builder import Caption
from extractors.geometry import Box, area, contains, expand, height, intersection, union, x_overlap
from extractors.page_content import Graphic, Line, PageContent
from extractors.region_classifier import DocStats, is_heading

# caption_position: where the caption sits relative to the graphic
_POSITION = {"up": "below", "down": "above", "right": "left", "left": "right"}


@dataclass
class Region:
    bbox: Box
    direction: str
    graphics: list[Graphic] = field(default_factory=list)
    texts: list[Line] = field(default_factory=list)

    @property
    def caption_position(self) -> str:
        return _POSITION[self.direction]

    @property
    def graphic_area(self) -> float:
        return sum(area(g.bbox) for g in self.graphics)


@dataclass
class _Element:
    bbox: Box
    graphic: Graphic | None = None
    line: Line | None = None


def _blockers(page: PageContent, stats: DocStats, caption: Caption) -> list[Box]:
    out = []
    for ln in page.lines:
        if ln in caption.lines:
            continue
        if ln.role in ("body", "margin", "caption") or is_heading(ln, stats):
            out.append(ln.bbox)
    return out


def _stops(page: PageContent, stats: DocStats, caption: Caption) -> list[Box]:
    """What even a ruled table does not extend past: other captions, headings, the page margin."""
    return [ln.bbox for ln in page.lines if ln not in caption.lines
            and (ln.role in ("margin", "caption") or is_heading(ln, stats))]


def _elements(page: PageContent, caption: Caption, with_text: bool) -> list[_Element]:
    cap = caption.bbox
    out = [_Element(g.bbox, graphic=g) for g in page.graphics
           if not g.decoration and not _covers_only_caption(g.bbox, cap)]
    if with_text:
        out += [_Element(ln.bbox, line=ln) for ln in page.lines
                if ln.role in ("other", "figure-text") and ln not in caption.lines]
    return out


def _covers_only_caption(g: Box, cap: Box) -> bool:
    """A fill behind the caption (a tinted caption box) is not part of the figure."""
    inter = intersection(g, cap)
    return inter is not None and area(inter) > 0.6 * area(g)


def _hits_blocker(box: Box, blockers: list[Box]) -> bool:
    for b in blockers:
        inter = intersection(box, b)
        if inter is not None and area(inter) > 0.25 * area(b):
            return True
    return False


def _grow_vertical(cap: Box, direction: str, elements: list[_Element], blockers: list[Box],
                   page: PageContent, first_gap: float, gap: float) -> list[_Element]:
    """Greedy growth away from the caption; the region never swallows a blocker (running text)."""
    up = direction == "up"
    if up:
        cands = sorted((e for e in elements if e.bbox[3] <= cap[1] + 3), key=lambda e: -e.bbox[3])
    else:
        cands = sorted((e for e in elements if e.bbox[1] >= cap[3] - 3), key=lambda e: e.bbox[1])
    chosen: list[_Element] = []
    region: Box | None = None
    edge = cap[1] if up else cap[3]
    for e in cands:
        distance = (edge - e.bbox[3]) if up else (e.bbox[1] - edge)
        if distance > (first_gap if region is None else gap):
            break
        span = (min(cap[0], region[0]), 0, max(cap[2], region[2]), 1) if region else (cap[0], 0, cap[2], 1)
        if x_overlap(e.bbox, span) <= 0:
            continue
        tentative = union([region, e.bbox]) if region else e.bbox
        reach = union([tentative, (tentative[0], edge, tentative[2], edge)])  # and the gap to the caption
        if _hits_blocker(reach, blockers):
            continue
        chosen.append(e)
        region = tentative
        edge = min(edge, e.bbox[1]) if up else max(edge, e.bbox[3])
    return chosen


def _rows(elements: list[_Element]) -> list[Box]:
    """Graphics side by side at one height (the cells of a shaded row) merged into one box."""
    rows: list[Box] = []
    for e in sorted((e for e in elements if e.graphic is not None), key=lambda e: (e.bbox[1], e.bbox[0])):
        b = e.bbox
        for i, r in enumerate(rows):
            if abs(r[1] - b[1]) <= 1.5 and abs(r[3] - b[3]) <= 1.5 and b[0] <= r[2] + 2:
                rows[i] = union([r, b])
                break
        else:
            rows.append(b)
    return rows


def _grow_table_rules(cap: Box, direction: str, elements: list[_Element], stops: list[Box],
                      first_gap: float) -> Box | None:
    """A table spans from its first rule to the last rule or shaded row of the same width.

    Cells may hold paragraphs that look like running text; the rules do not lie about the extent.
    Growth stops at another caption, a heading or the page margin.
    """
    up = direction == "up"
    rows = [r for r in _rows(elements) if (r[3] <= cap[1] + 3 if up else r[1] >= cap[3] - 3)]
    rows.sort(key=lambda r: -r[3] if up else r[1])
    if not rows:
        return None
    anchor = rows[0]
    distance = (cap[1] - anchor[3]) if up else (anchor[1] - cap[3])
    if distance > first_gap or anchor[2] - anchor[0] < max(100, 0.5 * (cap[2] - cap[0])):
        return None
    tx0, tx1 = anchor[0], anchor[2]
    span = (tx0, 0, tx1, 1)
    if up:
        stop = max([b[3] for b in stops if b[3] <= anchor[1] + 1 and x_overlap(b, span) > 2], default=-1e9)
    else:
        stop = min([b[1] for b in stops if b[1] >= anchor[3] - 1 and x_overlap(b, span) > 2], default=1e9)
    last = anchor
    aligned = 1
    for r in rows[1:]:
        if (r[1] < stop) if up else (r[3] > stop):
            break
        if abs(r[0] - tx0) <= 4 and abs(r[2] - tx1) <= 4:
            last = r
            aligned += 1
    if aligned < 2:
        return None
    return union([anchor, last])


def _grow_side(cap: Box, direction: str, elements: list[_Element], max_gap: float) -> list[_Element]:
    if direction == "right":
        cands = [e for e in elements if e.bbox[0] >= cap[2] - 3 and e.bbox[0] - cap[2] <= max_gap]
    else:
        cands = [e for e in elements if e.bbox[2] <= cap[0] + 3 and cap[0] - e.bbox[2] <= max_gap]
    seeds = [e for e in cands if e.graphic is not None and e.bbox[1] <= cap[3] and e.bbox[3] >= cap[1] - 20]
    if not seeds:
        return []
    region = union(e.bbox for e in seeds)
    chosen = list(seeds)
    side = [e for e in elements if (e.bbox[0] >= cap[2] - 3 if direction == "right" else e.bbox[2] <= cap[0] + 3)]
    grew = True
    while grew:
        grew = False
        for e in side:
            if e not in chosen and intersection(expand(region, 2), e.bbox):
                chosen.append(e)
                region = union([region, e.bbox])
                grew = True
    return chosen


def _region(caption: Caption, page: PageContent, stats: DocStats, direction: str) -> Region | None:
    table = caption.kind == "table"
    blockers = _blockers(page, stats, caption)
    elements = _elements(page, caption, with_text=True)
    first_gap = 3 * stats.body_size + 12
    gap = 2.5 * stats.body_size + 10
    if direction in ("up", "down"):
        chosen = _grow_vertical(caption.bbox, direction, elements, blockers, page, first_gap, gap)
        if table:
            ruled = _grow_table_rules(caption.bbox, direction, elements, _stops(page, stats, caption), first_gap)
            grown = union(e.bbox for e in chosen)
            if ruled is not None and (grown is None or height(ruled) > height(grown)):
                chosen = [e for e in elements if contains(ruled, e.bbox, tol=2)]
    else:
        chosen = _grow_side(caption.bbox, direction, elements, 4 * stats.body_size + 20)
    graphics = [e.graphic for e in chosen if e.graphic is not None]
    texts = [e.line for e in chosen if e.line is not None]
    if not graphics and not (table and len(texts) >= 2):
        return None
    box = union(e.bbox for e in chosen)
    if not table:  # labels and axis text set just outside the painted area
        near = expand(box, 10)
        texts = [ln for ln in page.lines if ln.role in ("other", "figure-text") and ln not in caption.lines
                 and intersection(near, ln.bbox) and area(intersection(near, ln.bbox)) > 0.3 * area(ln.bbox)]
        box = union([box] + [ln.bbox for ln in texts])
    if area(box) < 150 or (not table and min(box[2] - box[0], height(box)) < 8):
        return None
    return Region(bbox=box, direction=direction, graphics=graphics, texts=texts)


def _enclosing(caption: Caption, page: PageContent) -> Region | None:
    """A caption printed inside its own picture frame (a map with its title on it)."""
    cap = caption.bbox
    holders = [g for g in page.graphics if not g.decoration and g.kind == "image" and contains(g.bbox, cap, tol=1)
               and area(g.bbox) > 4 * area(cap)]
    if not holders:
        return None
    g = max(holders, key=lambda g: area(g.bbox))
    direction = "down" if (cap[1] + cap[3]) / 2 < (g.bbox[1] + g.bbox[3]) / 2 else "up"
    return Region(bbox=g.bbox, direction=direction, graphics=[g])


def candidate_regions(caption: Caption, page: PageContent, stats: DocStats) -> dict[str, Region]:
    inside = _enclosing(caption, page)
    if inside is not None:
        return {inside.direction: inside}
    out = {}
    for direction in ("up", "down"):
        r = _region(caption, page, stats, direction)
        if r is not None:
            out[direction] = r
    if not out and caption.kind == "figure":
        for direction in ("right", "left"):
            r = _region(caption, page, stats, direction)
            if r is not None:
                out[direction] = r
                break
    return out


DEFAULT_DIRECTION = {"figure": "up", "table": "down"}


def choose_regions(captions: list[Caption], candidates: list[dict[str, Region]]) -> list[Region | None]:
    """Pick one region per caption, breaking ties with the document's own habit per kind."""
    habit: dict[str, Counter] = {"figure": Counter(), "table": Counter()}
    for cap, cands in zip(captions, candidates):
        if len(cands) == 1:
            habit[cap.kind][next(iter(cands))] += 1
    chosen: list[Region | None] = []
    for cap, cands in zip(captions, candidates):
        if not cands:
            chosen.append(None)
        elif len(cands) == 1:
            chosen.append(next(iter(cands.values())))
        else:
            counts = habit[cap.kind]
            preferred = max(("up", "down"), key=lambda d: (counts[d], d == DEFAULT_DIRECTION[cap.kind]))
            chosen.append(cands.get(preferred) or next(iter(cands.values())))
    return chosen


