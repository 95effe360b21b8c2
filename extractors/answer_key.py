"""Answer keys: gabarito tables, ANS/MOD files, "1. A" lists, "1～5 ABCAD" runs, or the booklet's own last pages.

A key is a grid of question numbers and answers in some arrangement: numbers in a row with the
answers under them, a column with the answers beside it, or "12. C" lists. Whatever the layout,
each answer sits at the same offset from its number, so the offset that most numbers share pairs
them all. Annulled items ('-', '—', 'Anulada', 'X') and several accepted answers are kept as
such; remarks such as 第68題答A給分 or 一律給分 correct single items.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from extractors.ocr import OcrUnavailable, ocr_words
from extractors.pdf_document import PdfError, open_pdf

ANNULLED_TOKENS = {"-", "—", "–", "‐", "x", "*", "anulada", "anulado", "nula", "null", "annulled", "void", "※"}
SEE_REMARK = {"#"}
_LETTERS = "ABCDEFGHIJ"
_DIGIT_ANSWERS = "ABCDE"    # option 1-5 of a booklet whose options are numbered
_MULTI = re.compile(r"^([A-J])(?:\s*(?:[,/;&+]|ou|or|o|或|、|及|和|e)\s*([A-J]))+$", re.IGNORECASE)


@dataclass
class KeyEntry:
    answer: str | list[str] | None        # 'B', ['A', 'C'] (several accepted), None (annulled / all credited)
    note: str = ""
    source: str = ""


@dataclass
class AnswerKey:
    entries: dict[int, KeyEntry] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def merge(self, later: "AnswerKey") -> None:
        """A later (corrected) key overrides this one, item by item."""
        for number, entry in later.entries.items():
            if entry.note == "see remark" and number in self.entries:
                continue  # '#' with no remark we could read: keep the earlier answer
            old = self.entries.get(number)
            if old is not None and old.answer != entry.answer and not entry.note:
                entry.note = f"corrected by {entry.source}; earlier key had {old.answer}"
            self.entries[number] = entry
        self.files += later.files


def _norm(token: str) -> str:
    return unicodedata.normalize("NFKC", token).strip().strip(".:),;")


def parse_answer(token: str) -> tuple[bool, str | list[str] | None, str]:
    """(is an answer token, answer, note)."""
    t = _norm(token)
    low = t.lower()
    if low in ANNULLED_TOKENS:
        return True, None, f"annulled: '{t}'"
    if t in SEE_REMARK:
        return True, None, "see remark"
    if len(t) == 1 and t.upper() in _LETTERS and t.isupper():
        return True, t, ""
    m = _MULTI.match(t)
    if m:
        letters = re.findall(r"[A-J]", t.upper())
        return True, sorted(set(letters)), f"several accepted: {t}"
    return False, None, ""


@dataclass
class _Word:
    text: str
    cx: float
    cy: float
    h: float
    w: float = 0.0


# "12-C", "12)C", "12.c": a number and its answer written as one word
_GLUED = re.compile(r"^(?:Q\.?)?(\d{1,3})\s*[-.:)–]\s*([A-Ja-j])[,;.]?$")
_NUMBER = re.compile(r"(?:Q\.?)?(\d{1,3})[.):]?")      # "12", "12.", "12)", "12:", "Q12:"


def _number(text: str) -> int:
    return int(_NUMBER.fullmatch(text).group(1))
_SEPARATORS = {"-", "–", "—", ":", "=", "→"}


def _words(page: pymupdf.Page, scanned: list | None = None) -> list[_Word]:
    """The page's words (``scanned``: those OCR read), a glued number-answer word split in two, and a dash
    that only separates a number from its answer on one line ("12 - C") left out: it is no annulment."""
    raw = scanned if scanned is not None else page.get_text("words")
    out = []
    for k, (x0, y0, x1, y1, text, *_) in enumerate(raw):
        m = _GLUED.match(text)
        if m:
            split = x0 + (x1 - x0) * len(m.group(1)) / len(text)
            out.append(_Word(m.group(1), (x0 + split) / 2, (y0 + y1) / 2, y1 - y0, split - x0))
            out.append(_Word(m.group(2), (split + x1) / 2, (y0 + y1) / 2, y1 - y0, x1 - split))
            continue
        if text in _SEPARATORS and 0 < k < len(raw) - 1:
            before, after = raw[k - 1], raw[k + 1]
            same_line = abs(before[1] - y0) < 0.5 * (y1 - y0) and abs(after[1] - y0) < 0.5 * (y1 - y0)
            if same_line and _NUMBER.fullmatch(before[4]) and len(_norm(after[4])) == 1:
                continue
        out.append(_Word(text, (x0 + x1) / 2, (y0 + y1) / 2, y1 - y0, x1 - x0))
    return out


def _off(a: _Word, tx: float, ty: float) -> float:
    """How far the answer word is from where an answer is expected: a long word ("ANULADA") is there
    when it spans the spot."""
    dx = max(0.0, abs(a.cx - tx) - max(0.0, a.w - a.h) / 2)
    return (dx * dx + (a.cy - ty) ** 2) ** 0.5


def _pairs(words: list[_Word]) -> dict[int, tuple[_Word, _Word]]:
    numbers = [w for w in words if _NUMBER.fullmatch(w.text) and 0 < _number(w.text) < 1000]
    answers = [w for w in words if parse_answer(w.text)[0]]
    if sum(1 for w in answers if _norm(w.text).isalpha()) < 3:
        # a key in lower case ("12. c"); only where capitals are not there to pair
        answers = [w for w in words if parse_answer(w.text.upper())[0]]
    voters = numbers
    if sum(1 for w in answers if _norm(w.text).isalpha()) < 3:
        # options numbered 1-5 (Spain's MIR): answers are numbers too, set beside or under their question's;
        # the offset is the one that questions numbered past 5 share, which no answer can be
        digits = [w for w in numbers if w.text.isdigit() and 1 <= int(w.text) <= len(_DIGIT_ANSWERS)]
        answers += digits
        voters = [w for w in numbers if _number(w.text) > len(_DIGIT_ANSWERS)]
    if len(voters) < 3 or len(answers) < 3:
        return {}
    votes: list[tuple[float, float]] = []
    for n in voters:
        near = sorted((a for a in answers if a is not n), key=lambda a: (a.cx - n.cx) ** 2 + (a.cy - n.cy) ** 2)[:3]
        votes += [(a.cx - n.cx, a.cy - n.cy) for a in near]
    dx, dy = _shared_offset(votes)
    out: dict[int, tuple[_Word, _Word]] = {}
    used: set[int] = set()
    for n in numbers:
        if id(n) in used:     # a number already read as an answer
            continue
        tx, ty = n.cx + dx, n.cy + dy
        best = min((a for a in answers if a is not n), key=lambda a: _off(a, tx, ty))
        dist = _off(best, tx, ty)
        if dist <= max(6.0, 0.8 * n.h) and id(best) not in used:
            used.add(id(best))
            number = _number(n.text)
            if number in out and _norm(out[number][1].text).upper() != _norm(best.text).upper():
                raise AmbiguousKey(number, [out[number][1].text, best.text])
            out.setdefault(number, (n, best))
    return out


# "1～5 ABCAD", "6-10: ACBEA", "11 to 15 B C A D E": a run of questions and its answers in order
_RUN = re.compile(r"(?<!\d)(\d{1,3})\s*(?:[~\-–—至到]|to)\s*(\d{1,3})\s*[:.、)]?\s*((?:[A-J]\s?){2,})(?![A-Za-z])")


def _runs(text: str) -> tuple[dict[int, str], int]:
    """Answers given as runs, and how many runs: a run counts where its letters number its questions."""
    out: dict[int, str] = {}
    runs = 0
    for a, b, letters in _RUN.findall(unicodedata.normalize("NFKC", text)):
        letters = "".join(letters.split())
        first, last = int(a), int(b)
        if last - first + 1 == len(letters) >= 2:
            runs += 1
            out.update({first + k: letter for k, letter in enumerate(letters)})
    return out, runs


def _shared_offset(votes: list[tuple[float, float]], cell: float = 4.0) -> tuple[float, float]:
    """The offset most votes agree on within a cell either way (17.6 and 18.4 are one offset, though
    they round apart), as the mean of those votes."""
    bins = Counter((round(x / cell), round(y / cell)) for x, y in votes)
    best = max(bins, key=lambda b: (sum(bins[(b[0] + i, b[1] + j)] for i in (-1, 0, 1) for j in (-1, 0, 1)),
                                    bins[b]))
    near = [(x, y) for x, y in votes if abs(x / cell - best[0]) <= 1.5 and abs(y / cell - best[1]) <= 1.5]
    return sum(x for x, _ in near) / len(near), sum(y for _, y in near) / len(near)


_REMARK = re.compile(r"第\s*(\d+)\s*題([^第。；;]*)")


def _remarks(text: str) -> dict[int, KeyEntry]:
    out = {}
    text = unicodedata.normalize("NFKC", text)
    for number, what in _REMARK.findall(text):
        if "一律給分" in what or "送分" in what:
            out[int(number)] = KeyEntry(None, f"all credited: 第{number}題{what.strip()}")
        else:
            letters = re.findall(r"[A-J]", what)
            if letters:
                ans = letters[0] if len(set(letters)) == 1 else sorted(set(letters))
                out[int(number)] = KeyEntry(ans, f"corrected key remark: 第{number}題{what.strip()}")
    return out


def _answer_of(token: str) -> tuple[str | list[str] | None, str]:
    """A paired answer token as (answer, note): a letter in either case, or an option's number as its letter."""
    ok, answer, note = parse_answer(token)
    if not ok:
        ok, answer, note = parse_answer(token.upper())
    if not ok and token.isdigit() and 1 <= int(token) <= len(_DIGIT_ANSWERS):
        answer, note = _DIGIT_ANSWERS[int(token) - 1], f"option {token}"
    return answer, note


class AmbiguousKey(ValueError):
    """One question with two answers: the key holds several booklets, versions or subjects."""

    def __init__(self, number: int, answers: list[str], pages: list[int] | None = None):
        where = f" (pages {pages[0]} and {pages[1]})" if pages else ""
        super().__init__(f"question {number} has two answers in this key, {answers[0]} and {answers[1]}{where}: "
                         "it seems to hold several booklets or versions; pass a key for this booklet alone")


def parse_key_pages(pages: list[pymupdf.Page], source: str, min_share: float = 0.0,
                    scanned: dict | None = None) -> AnswerKey:
    """``min_share``: a page whose paired words are a smaller share of its words is no key page.
    ``scanned``: the words OCR read on pages that are scans, by page number."""
    key = AnswerKey(files=[source])
    page_of: dict[int, int] = {}
    for page in pages:
        ocr = (scanned or {}).get(page.number)
        words = _words(page, ocr)
        pairs = _pairs(words)
        text = page.get_text() if ocr is None else _lines_of(ocr)
        runs, n_runs = _runs(text)
        if 2 * (len(pairs) + n_runs) < min_share * len(words):
            continue
        # a run's letters, counted against its range, say more than the pairing of the nearest words
        found = [(number, _answer_of(ans.text)) for number, (_, ans) in pairs.items() if number not in runs]
        found += [(number, (letter, "")) for number, letter in runs.items()]
        for number, (answer, note) in sorted(found):
            if number in key.entries and key.entries[number].answer != answer:
                raise AmbiguousKey(number, [str(key.entries[number].answer), str(answer)],
                                   [page_of[number], page.number + 1])
            key.entries[number] = KeyEntry(answer, note, source)
            page_of[number] = page.number + 1
        for number, entry in _remarks(text).items():
            entry.source = source
            key.entries[number] = entry
    return key


def _lines_of(words: list[tuple]) -> str:
    """OCR'd words as text, a line per row of the page."""
    rows: list[list[tuple]] = []
    for w in sorted(words, key=lambda w: ((w[1] + w[3]) / 2, w[0])):
        if rows and abs((rows[-1][0][1] + rows[-1][0][3]) / 2 - (w[1] + w[3]) / 2) < 0.5 * (w[3] - w[1]):
            rows[-1].append(w)
        else:
            rows.append([w])
    return "\n".join(" ".join(w[4] for w in sorted(row)) for row in rows)


def _scanned_words(pages: list[pymupdf.Page]) -> dict:
    """A key printed and scanned has no text layer: its pages' words, read by OCR (digits and Latin
    letters, whatever the booklet's language), where Tesseract is there."""
    if any(page.get_text().strip() for page in pages):
        return {}
    try:
        return {page.number: ocr_words(page) for page in pages}
    except OcrUnavailable:
        return {}


def read_key(path: str | Path) -> AnswerKey:
    doc = open_pdf(path)
    with doc:
        pages = list(doc)
        scanned = _scanned_words(pages)
        try:
            key = parse_key_pages(pages, Path(path).name, scanned=scanned)
        except AmbiguousKey as exc:
            raise PdfError(path, str(exc)) from exc
    if len(key.entries) < 3:
        raise PdfError(path, "no answer key found (expected a table of question numbers and answer letters"
                       + ("; its pages are scans, and OCR found none)" if scanned else ")"))
    return key


# A key page is mostly its grid of numbers and letters (0.9 of the words on the dev corpus's); a page
# of questions whose options stand under their numbers ("12. stem" over "A. option") pairs a few of
# each and is mostly words (under 0.1).
KEY_PAGE_SHARE = 0.3


def key_in_booklet(doc: pymupdf.Document, numbers: set[int], source: str) -> tuple[AnswerKey, list[int]]:
    """A key printed on the booklet's own last pages: (key, its 1-based pages), empty if none."""
    found = AnswerKey(files=[])
    pages: list[int] = []
    for pno in range(max(0, doc.page_count - 4), doc.page_count):
        try:
            key = parse_key_pages([doc[pno]], f"{source} p{pno + 1}", KEY_PAGE_SHARE)
        except AmbiguousKey:
            continue     # numbers with two answers: not this booklet's key (or not a key)
        hits = [n for n in key.entries if n in numbers and key.entries[n].answer is not None]
        if len(hits) >= max(3, 0.2 * len(numbers)) and len(hits) >= 0.6 * len(key.entries):
            found.entries.update(key.entries)
            found.files.append(f"{source} (page {pno + 1})")
            pages.append(pno + 1)
    return found, pages
