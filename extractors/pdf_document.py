"""Opens a PDF, or says in one line why it cannot be read."""
from __future__ import annotations

from pathlib import Path

import pymupdf


class PdfError(Exception):
    """A document that cannot be processed; the message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str, page: int | None = None):
        self.path, self.reason, self.page = str(path), reason, page
        where = f"{self.path}: page {page}" if page else self.path
        super().__init__(f"{where}: {reason}")


def open_pdf(path: str | Path) -> pymupdf.Document:
    path = Path(path)
    if not path.exists():
        raise PdfError(path, "no such file")
    if path.is_dir():
        raise PdfError(path, "is a folder, not a PDF")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head:
        raise PdfError(path, "empty file (0 bytes)")
    if b"%PDF" not in head:
        raise PdfError(path, f"not a PDF (it starts with {head[:8]!r}, not %PDF)")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for damaged files
        raise PdfError(path, f"corrupt or truncated PDF ({exc})") from exc
    if doc.needs_pass:
        doc.close()
        raise PdfError(path, "encrypted PDF: it needs a password (decrypt it first, e.g. `qpdf --decrypt`)")
    if doc.page_count == 0:
        doc.close()
        raise PdfError(path, "the PDF has no pages (corrupt or truncated?)")
    return doc


def parse_pages(spec: str | None, page_count: int) -> list[int]:
    """'1-20,25' -> [1..20, 25], clipped to the document; None means every page."""
    if not spec:
        return list(range(1, page_count + 1))
    pages: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        try:
            lo = int(a) if a else 1
            hi = int(b) if b else (page_count if _ else lo)
        except ValueError:
            raise ValueError(f"bad page range {part!r} (use e.g. 1-20,25)") from None
        if lo < 1 or hi < lo:
            raise ValueError(f"bad page range {part!r} (use e.g. 1-20,25)")
        pages.update(range(lo, min(hi, page_count) + 1))
    return sorted(pages)
