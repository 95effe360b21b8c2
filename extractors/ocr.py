"""Text for scanned pages, through Tesseract as PyMuPDF drives it."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import pymupdf

from extractors.page_content import TEXT_FLAGS, Line, _lines_from_dict


class OcrUnavailable(RuntimeError):
    pass


# ISO 639 codes (what metadata uses) and Tesseract's codes (what OCR needs)
_TESSERACT = {"en": "eng", "pt": "por", "es": "spa", "it": "ita", "fr": "fra", "de": "deu",
              "zh-tw": "chi_tra", "zh-hant": "chi_tra", "zh": "chi_sim", "zh-cn": "chi_sim", "zh-hans": "chi_sim"}
_ISO = {v: k for k, v in _TESSERACT.items() if k not in ("zh-hant", "zh-cn", "zh-hans")} | {"chi_tra": "zh-TW"}


def tesseract_code(lang: str | None) -> str:
    """'pt' -> 'por', 'zh-TW' -> 'chi_tra', 'eng+por' stays; None -> 'eng'."""
    if not lang:
        return "eng"
    return "+".join(_TESSERACT.get(part.lower(), part) for part in lang.split("+"))


def iso_code(lang: str | None) -> str | None:
    """'por' -> 'pt', 'pt' stays, 'eng+por' -> 'en'."""
    if not lang:
        return None
    first = lang.split("+")[0]
    return _ISO.get(first, first)


def tesseract_languages() -> set[str]:
    if not shutil.which("tesseract"):
        return set()
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return {ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip()}


def _tesseract_for(language: str) -> str:
    """The Tesseract code for ``language``, once Tesseract and its data for it are known to be there."""
    language = tesseract_code(language)
    if not shutil.which("tesseract"):
        raise OcrUnavailable("page needs OCR but Tesseract is not installed "
                             "(run scripts/install-system-deps.sh, or pass --ocr never)")
    missing = [code for code in language.split("+") if code not in tesseract_languages()]
    if missing:
        raise OcrUnavailable(f"Tesseract has no language data for {', '.join(missing)} "
                             f"(apt-get install tesseract-ocr-{missing[0].replace('_', '-')})")
    return language


def ocr_textpage(page: pymupdf.Page, language: str = "eng", dpi: int = 300):
    return page.get_textpage_ocr(language=_tesseract_for(language), dpi=dpi, full=True)


def ocr_lines(page: pymupdf.Page, language: str = "eng", dpi: int = 300) -> list[Line]:
    tp = ocr_textpage(page, language, dpi)
    return _lines_from_dict(page.get_text("dict", textpage=tp, flags=TEXT_FLAGS))


CHINESE = "chi_sim+chi_tra"
GUESS = "guess"     # a language code that says: guess it from the first page read by OCR


def _tesseract_stdout(page: pymupdf.Page, dpi: int, *args: str) -> str:
    """What the tesseract command prints for the page, rendered in grey at ``dpi``, with ``args``."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    with tempfile.NamedTemporaryFile(suffix=".png") as image:
        image.write(pix.tobytes("png"))
        image.flush()
        return subprocess.run(["tesseract", image.name, "stdout", *args], capture_output=True, text=True,
                              check=False).stdout


def guess_language(page: pymupdf.Page) -> str:
    """The Tesseract code for a scanned page nobody gave a language for: Chinese where Tesseract's script
    detection says Han and a Chinese reading of the page bears it out (the detection alone is unsure: it
    calls some English scans Devanagari), else English."""
    if not shutil.which("tesseract") or not set(CHINESE.split("+")) <= tesseract_languages():
        return "eng"
    osd = _tesseract_stdout(page, 150, "--psm", "0")
    if not re.search(r"^Script: Han$", osd, re.MULTILINE):
        return "eng"
    text = "".join(page.get_text(textpage=page.get_textpage_ocr(language=CHINESE, dpi=150, full=True)).split())
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return CHINESE if text and cjk >= 0.3 * len(text) else "eng"


def ocr_words(page: pymupdf.Page, language: str = "eng", dpi: int = 300) -> list[tuple[float, float, float, float, str]]:
    """A scanned grid's words with their boxes in PDF points, as page.get_text("words") gives them. Read as
    one uniform block (Tesseract's --psm 6): in its default layout analysis lone letters in a grid of
    numbers and answers come out as "Cc" or not at all."""
    tsv = _tesseract_stdout(page, dpi, "--psm", "6", "-l", _tesseract_for(language), "tsv")
    scale, words = 72.0 / dpi, []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            left, top, width, height = (int(c) * scale for c in cells[6:10])
            words.append((page.rect.x0 + left, page.rect.y0 + top, page.rect.x0 + left + width,
                          page.rect.y0 + top + height, cells[11].strip()))
    return words
