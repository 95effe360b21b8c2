"""A page seen in the reading frame of a caption set sideways (a landscape table on a portrait page).

Every box is turned a quarter so that the caption reads left to right; the same stages then run
unchanged, and the region found is turned back into page coordinates.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from extractors.geometry import Box
from extractors.page_content import Line, PageContent

UP = (0.0, -1.0)     # text running bottom to top
DOWN = (0.0, 1.0)    # text running top to bottom


def frame_of(direction: tuple[float, float]) -> tuple[float, float] | None:
    """UP or DOWN for sideways text, None for ordinary horizontal text."""
    if abs(direction[0]) < 0.05 and direction[1] < -0.95:
        return UP
    if abs(direction[0]) < 0.05 and direction[1] > 0.95:
        return DOWN
    return None


def transforms(page: PageContent, frame) -> tuple[Callable[[Box], Box], Callable[[Box], Box]]:
    x0, y0, x1, y1 = page.rect
    W, H = x1 - x0, y1 - y0
    if frame == UP:
        return ((lambda b: (H - b[3], b[0], H - b[1], b[2])),
                (lambda b: (b[1], H - b[2], b[3], H - b[0])))
    return ((lambda b: (b[1], W - b[2], b[3], W - b[0])),
            (lambda b: (W - b[3], b[0], W - b[1], b[2])))


def rotated_view(page: PageContent, frame) -> tuple[PageContent, list[Line], Callable[[Box], Box]]:
    """The turned page, its lines in the page's own order, and the map back to page coordinates."""
    fwd, back = transforms(page, frame)
    lines = [replace(ln, bbox=fwd(ln.bbox),
                     direction=(1.0, 0.0) if frame_of(ln.direction) == frame else (0.0, 1.0))
             for ln in page.lines]
    graphics = [replace(g, bbox=fwd(g.bbox)) for g in page.graphics]
    x0, y0, x1, y1 = page.rect
    view = replace(page, rect=(0.0, 0.0, y1 - y0, x1 - x0), lines=lines, graphics=graphics)
    return view, lines, back
