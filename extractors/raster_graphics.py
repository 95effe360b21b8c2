"""Graphic regions of a scanned page, found in its pixels.

A scan is one picture, so the graphics log says nothing about where figures are. Ink that no OCR
text line covers is grouped into connected regions at a coarse resolution; each region large
enough to be a picture or a drawing becomes a graphic element, as a raster image would be.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import pymupdf

from extractors.page_content import Graphic

DPI = 36            # half-point cells are plenty for figure boxes
INK = 170           # grey level under which a pixel is ink
MIN_SIDE = 18.0     # points
MIN_AREA = 900.0    # square points


def raster_graphics(page: pymupdf.Page, lines: list) -> list[Graphic]:
    """``lines``: anything with a ``bbox`` (text lines or words) that is text, not picture."""
    pix = page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False)
    grey = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    ink = grey < INK
    scale = DPI / 72.0
    ox, oy = page.rect.x0, page.rect.y0
    for ln in lines:  # text is text, not a picture
        x0, y0, x1, y1 = ln.bbox
        ink[max(0, int((y0 - oy) * scale) - 1): int((y1 - oy) * scale) + 2,
            max(0, int((x0 - ox) * scale) - 1): int((x1 - ox) * scale) + 2] = False
    ink = _dilate(ink, 2)
    out = []
    for r0, c0, r1, c1 in _components(ink):
        box = (ox + c0 / scale, oy + r0 / scale, ox + (c1 + 1) / scale, oy + (r1 + 1) / scale)
        w, h = box[2] - box[0], box[3] - box[1]
        if min(w, h) >= MIN_SIDE and w * h >= MIN_AREA:
            out.append(Graphic(bbox=box, kind="image"))
    return out


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Grow ink by r cells so that the parts of one drawing join up."""
    padded = np.pad(mask, r)
    out = np.zeros_like(mask)
    h, w = mask.shape
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out |= padded[dy:dy + h, dx:dx + w]
    return out


def _components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    seen = np.zeros_like(mask)
    h, w = mask.shape
    boxes = []
    for r, c in zip(*np.nonzero(mask)):
        if seen[r, c]:
            continue
        seen[r, c] = True
        queue = deque([(r, c)])
        r0 = r1 = r
        c0 = c1 = c
        while queue:
            y, x = queue.popleft()
            r0, r1, c0, c1 = min(r0, y), max(r1, y), min(c0, x), max(c1, x)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        boxes.append((r0, c0, r1, c1))
    return boxes
