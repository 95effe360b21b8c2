"""PNG crops of figure regions."""
from __future__ import annotations

import pymupdf

from extractors.geometry import Box, clip

MAX_PIXELS = 40_000_000  # a crop larger than this is rendered at a lower DPI


def render_png(page: pymupdf.Page, bbox: Box, dpi: int, rotation: int = 0) -> tuple[bytes, int, int]:
    """``bbox`` is in the page's unrotated coordinates (those of its text and drawings); on a page with
    /Rotate the clip is mapped to the page as displayed, so the crop shows the figure upright."""
    shown = pymupdf.Rect(bbox) * page.rotation_matrix if page.rotation else pymupdf.Rect(bbox)
    box = clip(tuple(shown), tuple(page.rect)) or tuple(page.rect)
    w_in, h_in = (box[2] - box[0]) / 72, (box[3] - box[1]) / 72
    if w_in * h_in * dpi * dpi > MAX_PIXELS:
        dpi = max(18, int((MAX_PIXELS / max(w_in * h_in, 1e-6)) ** 0.5))
    matrix = pymupdf.Matrix(dpi / 72, dpi / 72).prerotate(rotation)
    pix = page.get_pixmap(clip=pymupdf.Rect(box), matrix=matrix, alpha=False)
    return pix.tobytes("png"), pix.width, pix.height
