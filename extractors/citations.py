"""Body paragraphs that cite a figure: "see Fig. 3.2", "(Figs. 2–4)", "Figura 1.2", "图3-1"."""
from __future__ import annotations

from dataclasses import dataclass

from extractors.caption_builder import join_text
from extractors.geometry import Box, union
from extractors.labels import citations_in
from extractors.page_content import PageContent


@dataclass
class Paragraph:
    page: int
    text: str
    bbox: Box


def paragraphs(page: PageContent) -> list[Paragraph]:
    """Running text of a page, one paragraph per text block; captions, margins and figure text left out."""
    blocks: dict[int, list] = {}
    for ln in page.lines:
        if ln.role in ("body", "other") and not ln.in_image:
            blocks.setdefault(ln.block, []).append(ln)
    out = []
    for lines in blocks.values():
        if not any(ln.role == "body" for ln in lines):
            continue  # labels and table cells are not paragraphs
        out.append(Paragraph(page.number, join_text(lines), union(ln.bbox for ln in lines)))
    return out


def find_citing(pages: list[PageContent], keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[Paragraph]]:
    """For each label key (word family, number) in ``keys``, the paragraphs that cite it, in page order."""
    found: dict[tuple[str, str], list[Paragraph]] = {k: [] for k in keys}
    for page in pages:
        for para in paragraphs(page):
            for family, number, _, _ in citations_in(para.text):
                key = (family, number)
                if key in found and (not found[key] or found[key][-1] is not para):
                    found[key].append(para)
    return found
