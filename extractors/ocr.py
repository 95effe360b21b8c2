"""Text for scanned pages, through Tesseract as PyMuPDF drives it."""
from __future__ import annotations

import shutil

import pymupdf

from extractors.page_content import TEXT_FLAGS, Line, _lines_from_dict


class OcrUnavailable(RuntimeError):
    pass


def tesseract_languages() -> set[str]:
    import subprocess
    if not shutil.which("tesseract"):
        return set()
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return {ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip()}


def ocr_lines(page: pymupdf.Page, language: str = "eng", dpi: int = 300) -> list[Line]:
    if not shutil.which("tesseract"):
        raise OcrUnavailable("page needs OCR but Tesseract is not installed "
                             "(run scripts/install-system-deps.sh, or pass --ocr never)")
    missing = [code for code in language.split("+") if code not in tesseract_languages()]
    if missing:
        raise OcrUnavailable(f"Tesseract has no language data for {', '.join(missing)} "
                             f"(apt-get install tesseract-ocr-{missing[0]})")
    tp = page.get_textpage_ocr(language=language, dpi=dpi, full=True)
    return _lines_from_dict(page.get_text("dict", textpage=tp, flags=TEXT_FLAGS))
