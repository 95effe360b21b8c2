"""The chapter and section a page belongs to: context for a figure whose caption does not say its field.

A book's outline (its PDF bookmarks) names them where the book has one. Otherwise a running header
does ("Chapter 4: Laboratory diagnosis and diagnostic tests" atop every page of the chapter): a line
in the top margin that recurs, digits aside, on more than one page. Page numbers and a header that is
the same on most pages (the book's own title) say nothing about one page.
"""
from __future__ import annotations

import re

from extractors.page_content import PageContent

MAX_LEN = 200


def _same(a: str, b: str | None) -> bool:
    return bool(b) and re.sub(r"\W+", "", a.lower()) == re.sub(r"\W+", "", b.lower())


def outline_sections(toc: list, pages: list[int], title: str | None = None) -> dict[int, str]:
    """Per page, the latest top-level outline entry and the deepest entry under it that starts on or
    before the page, joined by ' / '; an entry that is the document's title (an article's first
    bookmark) is left out. ``toc``: PyMuPDF's ``[level, title, page]`` list."""
    entries = sorted(((p, i, level, " ".join(str(name).split())) for i, (level, name, p, *_) in enumerate(toc)
                      if p and p > 0 and str(name).strip() and not _same(str(name), title)),
                     key=lambda e: (e[0], e[1]))
    out: dict[int, str] = {}
    if not entries:
        return out
    for page in pages:
        chain: dict[int, str] = {}
        for start, _, level, name in entries:
            if start > page:
                break
            chain = {lv: t for lv, t in chain.items() if lv < level}
            chain[level] = name
        if chain:
            top, deepest = chain[min(chain)], chain[max(chain)]
            out[page] = (top if top == deepest else f"{top} / {deepest}")[:MAX_LEN]
    return out


def _pattern(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def _recurring(contents: list[PageContent]) -> tuple[dict[int, list[str]], dict[str, list[int]], dict[str, str], int]:
    """The top-margin lines of each page, the pages each line (digits aside) recurs on, one printed
    form of each, and the span of pages read."""
    tops: dict[int, list[str]] = {}
    for c in contents:
        band = c.rect[1] + 0.08 * (c.rect[3] - c.rect[1])
        lines = [" ".join(ln.text.split()) for ln in c.lines if ln.horizontal and ln.bbox[3] <= band]
        tops[c.number] = [t for t in lines if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2]   # two words at least
    pages_of: dict[str, list[int]] = {}
    printed: dict[str, str] = {}
    for page, lines in tops.items():
        for t in set(lines):
            pages_of.setdefault(_pattern(t), []).append(page)
            printed.setdefault(_pattern(t), t)
    span = max(tops) - min(tops) + 1 if tops else 0
    return tops, pages_of, printed, span


def _book_wide(pages: list[int], span: int) -> bool:
    return len(pages) >= 3 and max(pages) - min(pages) + 1 > 0.5 * span


def running_headers(contents: list[PageContent]) -> dict[int, str]:
    """Per page, the running header in its top margin that names a part of the book, if any. Where
    headers alternate (the book's title on even pages, the chapter's on odd ones), a page between two
    pages of one chapter is in that chapter."""
    tops, pages_of, _, span = _recurring(contents)
    found = {}
    for page, lines in tops.items():
        named = [t for t in lines if len(pages_of[_pattern(t)]) >= 2 and not _book_wide(pages_of[_pattern(t)], span)]
        if named:
            found[page] = max(named, key=len)[:MAX_LEN]
    out = dict(found)
    for page in tops:
        if page not in found and found.get(page - 1) and found.get(page - 1) == found.get(page + 1):
            out[page] = found[page - 1]
    return out


def running_title(contents: list[PageContent]) -> str | None:
    """The running header most pages carry, far apart: the book's own title (for a book whose cover
    is a picture and whose metadata names a file)."""
    tops, pages_of, printed, span = _recurring(contents)
    if len(tops) < 5:
        return None
    wide = [(len(p), k) for k, p in pages_of.items() if _book_wide(p, span) and len(p) >= 0.2 * len(tops)]
    return printed[max(wide)[1]][:MAX_LEN] if wide else None


def page_sections(toc: list, contents: list[PageContent], title: str | None = None) -> dict[int, str]:
    pages = [c.number for c in contents]
    return outline_sections(toc, pages, title) or running_headers(contents)
