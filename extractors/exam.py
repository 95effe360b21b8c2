"""Multiple-choice questions from an exam booklet, with answers from its key: the stages in order."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pymupdf

from extractors.answer_key import AnswerKey, KeyEntry, key_in_booklet, read_key
from extractors.exam_layout import ExamPage, XLine, mark_furniture, read_exam_pages
from extractors.geometry import Box, area, expand, intersection, union
from extractors.ocr import GUESS, OcrUnavailable, iso_code, tesseract_code
from extractors.pdf_document import PdfError, open_pdf
from extractors.questions import (STATED_ANSWER, Question, build_question, line_markers, looks_cjk, number_chain,
                                  numbered_options, option_markers, question_start)
from extractors.text_join import word_count

EXTRACTOR = "exam-questions"
VERSION = "0.1.5"


@dataclass
class ExtractedQuestion:
    number: int
    page: int
    pages: list[int]
    stem: str
    options: list[tuple[str, str]]
    images: list[tuple[int, Box]]
    answer: str | list[str] | None
    answer_status: str                 # keyed | multiple | annulled | missing
    answer_note: str = ""
    answer_source: str = ""
    shared_stem_with: list[int] = field(default_factory=list)
    shared_context: str = ""


@dataclass
class ExamExtraction:
    path: str
    page_count: int
    questions: list[ExtractedQuestion]
    language: str | None
    exam_name: str | None
    year: int | None
    cover: str | None
    key_files: list[str]
    key_pages: list[int]
    warnings: list[str]


class KeyMismatch(PdfError):
    """The answer key does not fit the booklet."""


def detect_questions(pages: list[ExamPage]) -> tuple[list[XLine], list[Question]]:
    lines = [l for p in pages for l in p.lines]
    candidates = {i: s for i, l in enumerate(lines) if (s := question_start(l, i))}
    mark_furniture(pages, protect=lambda l: bool(line_markers(l, 0)) or _is_start(l, candidates, lines))
    starts = [s for i, s in candidates.items() if not lines[i].furniture]
    chain = number_chain(starts, lines)
    in_chain = {s.line_index for s in chain}
    # a heading start of another kind ('PERGUNTA 1' of a questionnaire after the exam) ends a question
    others = sorted(s.line_index for s in starts if s.line_index not in in_chain and s.style.startswith("kw:")
                    and s.style != (chain[0].style if chain else ""))
    questions = _build(lines, chain, others)
    if sum(1 for q in questions if not q.options) > 0.5 * max(1, len(questions)):
        # options numbered like the questions: the chain above took option numbers for questions
        numbered, options = numbered_options([s for s in starts if not s.style.startswith("kw:")])
        with_options = sum(1 for ops in options.values() if len(ops) >= 2)
        if len(numbered) >= 2 and with_options > sum(1 for q in questions if q.options):
            questions = _build(lines, numbered, others, {i: option_markers(lines, ops) for i, ops in options.items()})
    return lines, questions


def _build(lines: list[XLine], chain: list, others: list[int], runs: dict | None = None) -> list[Question]:
    questions = []
    for k, s in enumerate(chain):
        end = chain[k + 1].line_index if k + 1 < len(chain) else len(lines)
        end = min([end] + [i for i in others if s.line_index < i < end])
        questions.append(build_question(lines, s, end, (runs or {}).get(s.line_index)))
    return questions


def _is_start(line: XLine, candidates: dict, lines: list[XLine]) -> bool:
    return question_start(line, 0) is not None


# lines that open like an option: "(A)", "A)", "A.", a lone letter, "B text" (B-D are no words), glyphs
_OPTION_LINE = re.compile(   # on NFKC text: "Ａ．" is "A."; Chinese puts no space after the marker
    r"^\s*(?:\(?\s?[A-Ea-e]\s?\)|\[\s?[A-Ea-e]\s?\]|[A-E][.):\]/](?:\s|(?=[\u3400-\u9fff]))|[a-e]\.\s"
    r"|[A-Ea-e]\s+[-–—]\s|[A-E]\s*$|[B-D]\s+\S"
    r"|[\u24b6-\u24bf\ue000-\uf8ff])", re.MULTILINE)


_FIRST_OF_LIST = re.compile(r"^\s*1\s*[.)]\s", re.MULTILINE)


# A booklet is mostly its questions (covers, instructions and lab tables aside: 0.71-0.97 of the text lines of
# the corpus's booklets); a book chapter that ends in review questions is mostly prose and figures.
QUESTION_SHARE = 0.5
SCANNED_CHARS = 200      # a sample with less text than this is a scan (or pictures only)


def ocr_language_for(language: str | None, ocr: bool) -> str | None:
    """What scanned pages are read in: the language asked for, else a guess; None where OCR is off."""
    return (tesseract_code(language) if language else GUESS) if ocr else None


def looks_like_exam(path: str | Path, sample_pages: int = 40, ocr_language: str | None = None,
                    ocr_pages: int = 4) -> bool:
    """Auto-detection: a run of numbered questions, most of them with lettered options, that holds most
    of the text of the first pages (front matter included). Plain text first: a book with few
    option-like lines is settled without laying out its pages. A scan has no text to go by: with
    ``ocr_language`` (a Tesseract code, or ocr.GUESS) its first ``ocr_pages`` pages are read by OCR."""
    with open_pdf(path) as doc:
        numbers = list(range(1, min(doc.page_count, sample_pages) + 1))
        texts = [unicodedata.normalize("NFKC", doc[n - 1].get_text()) for n in numbers]
        pages = None
        if ocr_language and sum(len(t.strip()) for t in texts) < SCANNED_CHARS:
            numbers = numbers[:ocr_pages]
            try:
                pages = read_exam_pages(doc, numbers, ocr_language=ocr_language)
            except OcrUnavailable:
                return False
            texts = ["\n".join(unicodedata.normalize("NFKC", l.text) for l in p.lines) for p in pages]
        option_like = sum(len(_OPTION_LINE.findall(t)) for t in texts)
        restarts = sum(len(_FIRST_OF_LIST.findall(t)) for t in texts)     # numbered options start at 1 each time
        if option_like < 10 and restarts < 10:
            return False
        pages = pages or read_exam_pages(doc, numbers)
    lines, questions = detect_questions(pages)
    with_options = sum(1 for q in questions if len(q.options) >= 2)
    text = {i for i, l in enumerate(lines) if l.text.strip() and not l.furniture}
    asked = {i for q in questions for i in range(q.start.line_index, max(q.end, q.lines.stop))} & text
    return (len(questions) >= 5 and with_options >= 0.6 * len(questions)
            and len(asked) >= QUESTION_SHARE * len(text))


def _decorative(pages: list[ExamPage], lines: list[XLine], questions: list[Question]) -> set[tuple[int, Box]]:
    """Banners behind question numbers, logos repeated on many pages, pictures in the margins."""
    starts = {q.start.line_index for q in questions}
    seen = Counter((round(b[0]), round(b[1]), round(b[2]), round(b[3])) for p in pages for b in p.images)
    out = set()
    for p in pages:
        height = p.rect[3] - p.rect[1]
        for b in p.images:
            key = (round(b[0]), round(b[1]), round(b[2]), round(b[3]))
            behind_text = any(
                l.page == p.number and (i in starts or l.furniture) and l.text.strip() and intersection(b, l.bbox)
                and area(intersection(b, l.bbox)) > 0.5 * area(l.bbox) for i, l in enumerate(lines))
            in_margin = b[3] < p.rect[1] + 0.08 * height or b[1] > p.rect[3] - 0.06 * height
            page_area = (p.rect[2] - p.rect[0]) * height
            background = area(b) > 0.6 * page_area
            if behind_text or seen[key] >= 3 or in_margin or background:
                out.add((p.number, b))
    return out


def _merge_touching(boxes: list[Box]) -> list[Box]:
    """Figures stored as strips of raster tiles count as one picture."""
    merged = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if intersection(expand(tuple(merged[i]), 2), tuple(merged[j])):
                    merged[i] = list(union([tuple(merged[i]), tuple(merged[j])]))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return [tuple(b) for b in merged]


# words that point at a picture (not names of tests, which stems mention without showing)
_FIGURE_REF = re.compile(
    r"photograph|micrograph|image|figure|radiograph|x-ray|\b(?:is|are) shown|shown (?:below|above|here)|"
    r"illustrat|如圖|附圖|下圖|圖[一二三四五]|figura|imagem|foto|radiografia|exibid|ilustrad|a seguir",
    re.IGNORECASE)


def _owners(lines: list[XLine], questions: list[Question]) -> dict[int, tuple[Question, str, Question | None]]:
    """Each line's question, whether it is in the question's body or in the text after it, and
    the question that follows."""
    out: dict[int, tuple[Question, str, Question | None]] = {}
    for k, q in enumerate(questions):
        following = questions[k + 1] if k + 1 < len(questions) else None
        for i in range(q.start.line_index, q.end):
            out[i] = (q, "body" if i < q.lines.stop else "trailing", following)
    return out


def _image_owner(page: ExamPage, box: Box, lines: list[XLine], owners: dict
                 ) -> tuple[Question | None, bool]:
    """(the question a picture belongs to, whether it sits in an item set's shared preamble).

    Beside a question's lines: that question. Inside its text: that question. After a question's
    trailing text: the next question's preamble. Between one question's options and the next
    number: the one whose stem refers to a picture, else the nearer one.
    """
    text = [(i, l) for i, l in enumerate(lines) if l.page == page.number and not l.furniture and l.text.strip()
            and i in owners]
    if not text:
        return None, False
    h = box[3] - box[1]
    cols = [l for _, l in text if min(l.bbox[2], box[2]) - max(l.bbox[0], box[0]) > 0]
    column = Counter(l.column for l in cols).most_common(1)[0][0] if cols else None
    flow = [(i, l) for i, l in text if column is None or l.column in (column, -1)]
    beside = {owners[i][0].number: owners[i][0] for i, l in flow
              if min(l.bbox[3], box[3]) - max(l.bbox[1], box[1]) > 0.5 * min(h, l.bbox[3] - l.bbox[1])
              and (l.bbox[2] <= box[0] + 2 or l.bbox[0] >= box[2] - 2)}
    if len(beside) == 1:
        return next(iter(beside.values())), False
    above = max((x for x in flow if x[1].bbox[3] <= box[1] + 2), key=lambda x: x[0], default=None)
    below = min((x for x in flow if x[1].bbox[1] >= box[3] - 2), key=lambda x: x[0], default=None)
    if above is None:
        return (owners[below[0]][0], False) if below is not None else (None, False)
    q_above, part, following = owners[above[0]]
    if part == "trailing":  # after a question's own text: the preamble of the next one
        return following, True
    if below is None or owners[below[0]][0] is q_above:
        return q_above, False
    q_below = owners[below[0]][0]
    ref_above, ref_below = bool(_FIGURE_REF.search(q_above.stem)), bool(_FIGURE_REF.search(q_below.stem))
    if ref_above != ref_below:
        return (q_above if ref_above else q_below), False
    gap_above = box[1] - above[1].bbox[3]
    gap_below = below[1].bbox[1] - box[3]
    return (q_above if gap_above < gap_below else q_below), False


def assign_images(pages: list[ExamPage], lines: list[XLine], questions: list[Question],
                  groups: dict[int, list[int]]) -> dict[int, list]:
    """Pictures to questions; one in an item set's shared preamble counts for every item of the set."""
    decorative = _decorative(pages, lines, questions)
    owners = _owners(lines, questions)
    out: dict[int, list] = {q.number: [] for q in questions}
    if not questions:
        return out
    first_page = lines[questions[0].start.line_index].page
    for p in pages:
        if p.number < first_page:
            continue  # the cover and instructions come before the first question
        for b in _merge_touching([b for b in p.images if (p.number, b) not in decorative]):
            owner, preamble = _image_owner(p, b, lines, owners)
            if owner is None:
                continue
            for n in [owner.number] + (groups.get(owner.number, []) if preamble else []):
                if n in out:
                    out[n].append((p.number, p.page_box(b)))   # records keep the page's own coordinates
    for k, q in enumerate(questions[1:], start=1):  # 承上題: the case goes on, with its pictures
        if _CONTINUES.match(q.stem) and not out[q.number]:
            out[q.number] = list(out[questions[k - 1].number])
    return out


_SHARED = re.compile(r"(?:(?:quest(?:ões|oes|ions)|items?|preguntas|itens)\s*#?\s*(\d{1,3})\s*(?:,\s*\d{1,3}\s*)*"
                     r"(?:e|a|and|to|y|[-–—])\s*#?(\d{1,3}))|(?:第\s*(\d{1,3})\s*題\s*(?:至|到|~|-|–)\s*第?\s*(\d{1,3})\s*題)",
                     re.IGNORECASE)
_CONTINUES = re.compile(r"^(承上題|承接上題|接上題)")


def stated_answers(questions: list[Question], source: str) -> AnswerKey:
    """A key from the answers printed after the questions themselves, where most questions have one."""
    found = {}
    for q in questions:
        m = STATED_ANSWER.match(q.trailing.split("\n\n")[0])
        if m and m.group(1).upper() in {label for label, _ in q.options}:
            found[q.number] = m.group(1).upper()
    if len(found) < max(3, 0.5 * len(questions)):
        return AnswerKey()
    where = f"{source} (answers after the questions)"
    return AnswerKey({n: KeyEntry(a, "", where) for n, a in found.items()}, [where])


def _without_instructions(preamble: str) -> str:
    """An item set's preamble without its paragraphs of instructions ("Items #56–57 are part of a
    sequential item set...", "Items #17–19 refer to the abstract displayed on the previous page."), where
    something else is left."""
    paragraphs = [" ".join(p.split()) for p in preamble.split("\n\n") if p.strip()]

    def instructions(at: int) -> bool:   # names the items, and what else there is says more
        rest = sum(word_count(p) for k, p in enumerate(paragraphs) if k != at)
        return bool(_SHARED.search(paragraphs[at])) and rest > word_count(paragraphs[at])

    while len(paragraphs) > 1 and instructions(0):
        paragraphs.pop(0)
    while len(paragraphs) > 1 and instructions(-1):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def shared_groups(questions: list[Question]) -> dict[int, list[int]]:
    """Item sets: 'Texto para as questões 12 e 13', 'Items #56–57', and 承上題 chains."""
    groups: dict[int, set[int]] = {}
    numbers = {q.number for q in questions}
    for q in questions:
        for text in (q.trailing, q.stem[:200]):
            for m in _SHARED.finditer(text):
                a, b = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), int(m.group(4)))
                if a < b <= a + 10 and {a, b} <= numbers:
                    members = set(range(a, b + 1))
                    for n in members:
                        groups.setdefault(n, set()).update(members)
    prev = None
    for q in questions:
        if prev is not None and _CONTINUES.match(q.stem):
            members = groups.get(prev, {prev}) | {q.number, prev}
            for n in members:
                groups[n] = set(members)
        prev = q.number
    return {n: sorted(m - {n}) for n, m in groups.items()}


def detect_language(text: str) -> str | None:
    if not text.strip():
        return None
    if looks_cjk(text):
        return "zh-TW" if re.search(r"[們這個與為醫師題臨診斷]", text) else "zh"
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    counts = Counter(words)
    scores = {
        "pt": sum(counts[w] for w in ("de", "que", "com", "não", "uma", "paciente", "para", "os", "das")),
        "es": sum(counts[w] for w in ("el", "los", "las", "del", "que", "con", "paciente", "una", "por")),
        "en": sum(counts[w] for w in ("the", "of", "and", "with", "is", "which", "patient", "following")),
        "it": sum(counts[w] for w in ("il", "della", "che", "con", "paziente", "gli", "delle")),
    }
    return max(scores, key=scores.get) if max(scores.values()) > 0 else None


def exam_cover(doc: pymupdf.Document, first_stem: str | None = None, chars: int = 600) -> str | None:
    """The booklet's opening text: it says which exam and for whom (profession, edition). It ends where
    the first question begins (``first_stem``): a cover that runs on into questions would make their
    words look like the exam's subjects."""
    text = " ".join(" ".join(doc[i].get_text().split()) for i in range(min(2, doc.page_count)))
    head = " ".join((first_stem or "").split())[:24]
    at = text.find(head) if len(head) >= 8 else -1
    if at >= 0:
        # the question's number (and a word for it: "Questão 1", "1.") goes with the question
        text = re.sub(r"(?:\b(?:question|questão|questao|pregunta)\s*)?\d{1,3}\s*[.)：:]?\s*$", "", text[:at],
                      flags=re.IGNORECASE).rstrip()
    return text[:chars] or None


TITLE_CHARS = 300     # more text than that in the largest type is the body, not a title


def exam_identity(doc: pymupdf.Document) -> tuple[str | None, int | None]:
    """Name: the largest type on the first page; year: from the content of the first pages."""
    if doc.page_count == 0:
        return None, None
    d = doc[0].get_text("dict")
    spans = [s for b in d.get("blocks", []) for l in b.get("lines", []) for s in l.get("spans", [])
             if s.get("text", "").strip()]
    name = None
    if spans:
        top = max(s["size"] for s in spans)
        titled = [s["text"].strip() for s in spans if s["size"] >= 0.8 * top]
        if sum(map(len, titled)) > TITLE_CHARS:
            # no title type: the body is the largest type; the page's first line names the exam
            titled = [min(spans, key=lambda s: (round(s["bbox"][1]), s["bbox"][0]))["text"].strip()]
        name = " ".join(titled)[:160] or None
    text = unicodedata.normalize("NFKC", " ".join(doc[i].get_text() for i in range(min(2, doc.page_count))))
    years = Counter(int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", text) if 1950 <= int(y) <= 2100)
    roc = Counter(int(y) + 1911 for y in re.findall(r"(?<!\d)(\d{2,3})\s*年", text) if 50 <= int(y) <= 189)
    years.update(roc)
    year = years.most_common(1)[0][0] if years else None
    return name, year


def extract_exam(path: str | Path, keys: list[str | Path] = (), pages: list[int] | None = None,
                 language: str | None = None, ocr: bool = True,
                 progress: Callable[[int], None] | None = None) -> ExamExtraction:
    """``language``: ISO or Tesseract code; it labels the questions and drives OCR of scanned pages."""
    doc = open_pdf(path)
    try:
        page_numbers = [n for n in (pages or range(1, doc.page_count + 1)) if 1 <= n <= doc.page_count]
        try:
            ocr_language = ocr_language_for(language, ocr)
            exam_pages = read_exam_pages(doc, page_numbers, progress, ocr_language)
        except OcrUnavailable as exc:
            raise PdfError(path, str(exc)) from exc
        lines, questions = detect_questions(exam_pages)
        if not questions:
            raise PdfError(path, "no numbered questions found (is this an exam booklet? try --kind book)")
        numbers = {q.number for q in questions}
        key = AnswerKey()
        key_pages: list[int] = []
        booklet_head = " ".join(doc[i].get_text() for i in range(min(2, doc.page_count)))
        for k in keys:
            with open_pdf(k) as kdoc:
                conflict = key_identity_conflict(booklet_head, kdoc[0].get_text())
            if conflict:
                raise KeyMismatch(k, f"this key does not fit {Path(path).name}: {conflict}")
            key.merge(read_key(k))
        if not keys:
            key, key_pages = key_in_booklet(doc, numbers, Path(path).name)
            if key_pages:  # questions must not run into the key
                questions = [q for q in questions if exam_pages_of(q, lines)[0] not in key_pages]
            elif not key.entries:
                key = stated_answers(questions, Path(path).name)
        letters = {q.number: {label for label, _ in q.options} for q in questions}
        warnings = check_key(path, key, numbers, bool(keys), letters)
        groups = shared_groups(questions)
        images = assign_images(exam_pages, lines, questions, groups)
        prev_trailing = ""
        contexts: dict[int, str] = {}     # an item set's first member -> the preamble printed before it
        out = []
        for q in questions:
            entry = key.entries.get(q.number)
            if entry is None:
                answer, status, note, source = None, "missing", "no answer in the key", ""
            else:
                answer, note, source = entry.answer, entry.note, entry.source
                status = "annulled" if answer is None else ("multiple" if isinstance(answer, list) else "keyed")
            q_pages = exam_pages_of(q, lines)
            out.append(ExtractedQuestion(
                number=q.number, page=q_pages[0], pages=q_pages, stem=q.stem, options=q.options,
                images=images.get(q.number, []), answer=answer, answer_status=status, answer_note=note,
                answer_source=source, shared_stem_with=groups.get(q.number, []),
                shared_context=contexts.setdefault(min([q.number, *groups[q.number]]),
                                                   _without_instructions(prev_trailing))
                if groups.get(q.number) else ""))
            prev_trailing = q.trailing
        sample = " ".join(q.stem for q in questions[:20])
        name, year = exam_identity(doc)
        return ExamExtraction(path=str(path), page_count=doc.page_count, questions=out,
                              language=iso_code(language) or detect_language(sample), exam_name=name, year=year,
                              cover=exam_cover(doc, questions[0].stem if questions else None),
                              key_files=key.files, key_pages=key_pages, warnings=warnings)
    finally:
        doc.close()


def exam_pages_of(q: Question, lines: list[XLine]) -> list[int]:
    return sorted({lines[i].page for i in q.lines})


_CODE = re.compile(r"(?:代號|試題代號|c[óo]digo|code|caderno)\s*[：:]?\s*(\d{3,6})", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


def identity_tokens(text: str) -> dict[str, set[str]]:
    """Exam codes and years a document states about itself (ROC years as 民國 years: 101年 = 2012)."""
    text = unicodedata.normalize("NFKC", text)
    years = set(_YEAR.findall(text)) | {str(int(y) + 1911) for y in re.findall(r"(?<!\d)(\d{2,3})\s*年", text)
                                        if 50 <= int(y) <= 189}
    return {"code": set(_CODE.findall(text)), "year": years}


def key_identity_conflict(booklet_text: str, key_text: str) -> str | None:
    """Why a key plainly belongs to another exam (another code, another year), or None."""
    b, k = identity_tokens(booklet_text), identity_tokens(key_text)
    for what in ("code", "year"):
        if b[what] and k[what] and not (b[what] & k[what]):
            return f"the key states {what} {', '.join(sorted(k[what]))}, the booklet {', '.join(sorted(b[what]))}"
    return None


def check_key(path, key: AnswerKey, numbers: set[int], key_given: bool,
              options: dict[int, set[str]] | None = None) -> list[str]:
    """A key must cover the booklet's numbers and answer with letters its questions have;
    one that does not belong to the booklet is refused."""
    if not key.entries:
        return [f"{path}: no answer key given or found in the booklet; answers left empty (use --key)"]
    keyed = set(key.entries)
    missing, extra = sorted(numbers - keyed), sorted(keyed - numbers)
    overlap = len(numbers & keyed)
    if key_given and (overlap < 0.5 * len(numbers) or len(missing) + len(extra) > max(3, 0.05 * len(numbers))):
        raise KeyMismatch(", ".join(key.files), f"this key does not fit {Path(path).name}: it keys questions "
                          f"{_ranges(sorted(keyed))}, the booklet has {_ranges(sorted(numbers))}")
    warnings = []
    if options:
        foreign = sorted(n for n, e in key.entries.items() if n in options and options[n]
                         and any(a not in options[n] for a in ([e.answer] if isinstance(e.answer, str) else e.answer or [])))
        if key_given and len(foreign) > max(2, 0.1 * len(numbers)):
            raise KeyMismatch(", ".join(key.files), f"this key does not fit {Path(path).name}: its answers name "
                              f"options the questions do not have (questions {_ranges(foreign)})")
        if foreign:
            warnings.append(f"{path}: the key answers with a letter the question lacks: questions {_ranges(foreign)}")
    if missing:
        warnings.append(f"{path}: the key has no answer for questions {_ranges(missing)}")
    if extra:
        warnings.append(f"{path}: the key answers questions not found in the booklet: {_ranges(extra)}")
    return warnings


def _ranges(ns: list[int]) -> str:
    out, i = [], 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and ns[j + 1] == ns[j] + 1:
            j += 1
        out.append(str(ns[i]) if i == j else f"{ns[i]}-{ns[j]}")
        i = j + 1
    return ", ".join(out) if out else "none"
