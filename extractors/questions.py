"""Questions from exam lines: where each starts, its stem, and its lettered options.

Question starts are any line that opens with a number in a question style ("QUESTÃO 12",
"Question 12", "12.", "12)", or a bare number in its own span); the questions are the longest run
of such starts numbered 1, 2, 3... in reading order, so numbers inside stems and lists do not
break the sequence. Options are the longest run of markers A, B, C... after the stem, whatever
the marker looks like: "(A)", "A)", "A.", "A -" at a line start, a bare letter in a span of its own,
circled letters, or Private-Use-Area glyphs (which count up from the question's first marker).
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

from extractors.exam_layout import XLine
from extractors.text_join import is_cjk, join_lines

_KEYWORDS = (r"QUEST[ÃA]O|Quest[ãa]o|QUESTION|Question|PREGUNTA|Pregunta|PERGUNTA|Pergunta|ITEM|Item|Domanda|DOMANDA"
             r"|Q(?=\.?\s?\d)")                                                         # "Q1.", "Q.12"
_KW = re.compile(rf"^\s*({_KEYWORDS})\s*[Nnº°.]*\s*(\d{{1,3}})\b\s*[.:)\-–—]?\s*(.*)$")
# "1.", "1)", "1．", "1、", "1º)", "1 - ", and bracketed "(1)", "[1]"
_NUM = re.compile(r"^\s*(\d{1,3})\s*[º°]?\s*([.)．、:]|\s[-–—](?=\s))\s*(.*)$"
                  r"|^\s*([(\[])(\d{1,3})[)\]]\s*(.*)$")


@dataclass
class Start:
    line_index: int
    number: int
    style: str
    rest: str          # text on the start line after the number
    offset: int = 0    # where ``rest`` begins in the line's text


@dataclass
class Marker:
    line_index: int
    start: int          # offset in the line text where the marker begins
    end: int            # offset where the option text begins
    letter: str
    style: str
    x0: float
    text_x: float = 0.0  # where the option's text begins on the page (continuations align there)


@dataclass
class Question:
    number: int
    start: Start
    stem: str
    options: list[tuple[str, str]]
    lines: range                       # line indices from the start to the last option line
    option_lines: list[int] = field(default_factory=list)
    trailing: str = ""                 # text after the last option, before the next question
    end: int = 0                       # the line index where this question's text ends


def question_start(line: XLine, index: int) -> Start | None:
    start = _question_start(line, index)
    return start if start is not None and start.number >= 1 else None


def _question_start(line: XLine, index: int) -> Start | None:
    text = line.text
    m = _KW.match(text) or _KW.match(unicodedata.normalize("NFKC", text))
    if m and m.string is text:
        return Start(index, int(m.group(2)), "kw:" + m.group(1).lower()[:5], m.group(3), m.start(3))
    m = _NUM.match(text)
    if m:
        number, style, at = (m.group(1), m.group(2).strip(), 3) if m.group(1) else (m.group(5), m.group(4), 6)
        rest = m.group(at)
        if re.fullmatch(r"[_\s]*|[A-J]", rest.strip()):
            return None  # an answer sheet or an answer key row, not a question
        return Start(index, int(number), "num" + style, rest, m.start(at))
    first = line.spans[0].text.strip() if line.spans else ""
    if re.fullmatch(r"\d{1,3}", first) and len(line.spans) > 1:
        at = text.find(first) + len(first)
        rest = text[at:].lstrip()
        if rest and not re.fullmatch(r"[_\s]*|[A-J]", rest):
            return Start(index, int(first), "bare", rest, len(text) - len(rest))
    return None


OPTIONS_BETWEEN = 0.25   # on a step between two question starts that ends on an option A


def number_chain(starts: list[Start], lines: list[XLine]) -> list[Start]:
    """The longest run of starts numbered n, n+1, n+2... in reading order, in one style.

    A missing number (a start we could not see) may be skipped at a cost, so one unreadable
    question does not cut a booklet in two. A step from one start to the next that ends on an option A
    (no other start after it) counts a little more: a question's options come last before the next
    question, while a list of numbered statements in a stem ("1. ... 2. ... 3. ...") has none between
    its items and comes before the options.
    """
    first_options = [i for i, line in enumerate(lines) if any(m.letter in "Aa" for m in _markers(line, i))]
    start_lines = sorted(s.line_index for s in starts)

    def answered(j: int, i: int) -> bool:
        """An option A after start j, before start i, and after every other start between them."""
        a, b = starts[j].line_index, starts[i].line_index
        k = bisect.bisect_left(first_options, b) - 1
        c = bisect.bisect_left(start_lines, b) - 1
        return k >= 0 and first_options[k] > a and first_options[k] > start_lines[c]
    best: dict[int, tuple[float, int | None]] = {}   # start index -> (score, previous index)
    last_by_key: dict[tuple[str, int], list[int]] = {}
    for i, s in enumerate(starts):
        score, prev = 1.0, None
        for gap in (1, 2, 3):
            for j in reversed(last_by_key.get((s.style, s.number - gap), [])):  # nearest first on ties
                cand = best[j][0] + 1.0 - 0.6 * (gap - 1) + (OPTIONS_BETWEEN if answered(j, i) else 0.0)
                if cand > score:
                    score, prev = cand, j
        best[i] = (score, prev)
        last_by_key.setdefault((s.style, s.number), []).append(i)
    if not best:
        return []
    end = max(best, key=lambda i: (best[i][0], -i))
    chain = []
    cur: int | None = end
    while cur is not None:
        chain.append(starts[cur])
        cur = best[cur][1]
    return chain[::-1]


# what follows a question bank's options: its answer or its explanation ("Answer: C", "Gabarito: C",
# "Explanation:", "Comentário:", "答案：C", "【解析】")
_ANSWER_WORDS = (r"(?:the\s+)?correct\s+answer|answer|gabarito|resposta(?:\s+correta)?|respuesta(?:\s+correcta)?"
                 r"|alternativa\s+correta|正確答案|正确答案|參考答案|参考答案|答案")
_EXPLANATION_WORDS = (r"explanation|rationale|explica[çc][ãa]o|explicaci[óo]n|coment[áa]rio|resolu[çc][ãa]o"
                      r"|resoluci[óo]n|解析")
AFTER_OPTIONS = re.compile(rf"^\s*【?\s*(?:{_ANSWER_WORDS}|{_EXPLANATION_WORDS})\s*(?:】|[:：]|\bis\b)", re.IGNORECASE)
STATED_ANSWER = re.compile(rf"^\s*【?\s*(?:{_ANSWER_WORDS})\s*(?:】|[:：]|\bis\b)\s*[:：]?\s*\(?([A-J])\)?(?![A-Za-z])",
                           re.IGNORECASE)

_PAREN = re.compile(r"(?:(?<=\s)|^)(?:\(\s?([A-Ja-j])\s?\)|\[\s?([A-Ja-j])\s?\])\s*")     # "(A)", "( A )", "[A]"
_LEAD = re.compile(r"^([A-Ja-j])(?:\s*[).:\]/]|\s+[-–—])\s*(?=\S)")     # "A)", "a.", "A:", "A]", "A/", "A -"
_CIRCLED = re.compile(r"[\u24b6-\u24bf\u24d0-\u24d9]")


def _circled_letter(ch: str) -> str:
    o = ord(ch)
    return chr(ord("A") + (o - 0x24B6)) if o <= 0x24BF else chr(ord("a") + (o - 0x24D0))


def _x_at(line: XLine, offset: int) -> float:
    """Page x of a character offset in the line's text (spans measured proportionally)."""
    pos = 0
    text = line.text
    for s in line.spans:
        at = text.find(s.text, pos)
        if at < 0:
            continue
        if at <= offset <= at + len(s.text):
            frac = (offset - at) / max(1, len(s.text))
            return s.bbox[0] + frac * (s.bbox[2] - s.bbox[0])
        pos = at + len(s.text)
    return line.bbox[0]


def line_markers(line: XLine, index: int) -> list[Marker]:
    """Every place in a line where an option could begin."""
    out = _markers(line, index)
    text = line.text
    for m in out:
        end = m.end
        while end < len(text) and text[end] == " ":
            end += 1
        m.text_x = _x_at(line, end)
    return out


# "A. text     B. text" on one line: a letter marker after a wide space
_INLINE = re.compile(r"(?:(?<=\s\s)|(?<=\t)|(?<=\u3000))([B-J])\s*[.):\]/]\s*(?=\S)")


def _markers(line: XLine, index: int) -> list[Marker]:
    raw = line.text
    # full-width letters and stops ("Ａ．", "（Ｂ）") read as their ASCII twins; same length, same offsets
    folded = unicodedata.normalize("NFKC", raw)
    text = folded if len(folded) == len(raw) else raw
    out: list[Marker] = []
    for m in _PAREN.finditer(text):
        out.append(Marker(index, m.start(), m.end(), m.group(1) or m.group(2), "paren" if m.group(1) else "square",
                          line.x0))
    m = _LEAD.match(text)
    if m:
        style = "lead" + text[m.start(1) + 1:m.end()].strip()
        out.append(Marker(index, 0, m.end(), m.group(1), style, line.x0))
        for m2 in _INLINE.finditer(text, m.end()):
            out.append(Marker(index, m2.start(), m2.end(), m2.group(1), style, line.x0))
    for m in _CIRCLED.finditer(text):
        out.append(Marker(index, m.start(), m.end(), _circled_letter(m.group(0)), "circled", line.x0))
    # glyphs in a span of their own: a bare letter, or a private-use character
    offset = 0
    for k, span in enumerate(line.spans):
        at = text.find(span.text.strip(), offset) if span.text.strip() else -1
        if at < 0:
            continue
        t = span.text.strip()
        offset = at + len(t)
        lead = _LEAD.match(unicodedata.normalize("NFKC", t)) if k else None
        if lead and span.bbox[0] - line.spans[k - 1].bbox[2] > span.size and at not in {m.start for m in out}:
            # "A) text          B) text": options side by side, each in a span of its own
            style = "lead" + t[lead.start(1) + 1:lead.end()].strip()
            out.append(Marker(index, at, at + lead.end(), lead.group(1), style, line.x0))
        if len(t) >= 1 and 0xE000 <= ord(t[0]) <= 0xF8FF:
            out.append(Marker(index, at, at + 1, f"pua:{ord(t[0])}", "pua", span.bbox[0]))
        elif k == 0 and re.fullmatch(r"[A-J]", t) and len(line.spans) > 1 and not line.spans[1].text.startswith(("(", ".")):
            out.append(Marker(index, at, at + 1, t, "bare", span.bbox[0]))
    return sorted(out, key=lambda m: m.start)


def option_run(markers: list[Marker]) -> list[Marker]:
    """The longest run A, B, C... of one marker style; on a tie, the last one."""
    best: list[Marker] = []
    for i, m in enumerate(markers):
        if m.style == "pua":
            run = [m]
            code = int(m.letter.split(":")[1])
            for n in markers[i + 1:]:
                if n.style == "pua" and int(n.letter.split(":")[1]) == code + len(run):
                    run.append(n)
        else:
            if m.letter not in "Aa":
                continue
            run = [m]
            for n in markers[i + 1:]:
                if n.style == m.style and n.letter == chr(ord(run[-1].letter) + 1):
                    run.append(n)
        if len(run) >= 2 and len(run) >= len(best):
            best = run
    if best and best[0].style == "pua":
        for k, m in enumerate(best):
            m.letter = chr(ord("A") + k)
    return best


def _cut(lines: list[XLine], a: tuple[int, int], b: tuple[int, int]) -> list[str]:
    """Text from (line, offset) a up to (line, offset) b, line by line."""
    out = []
    for i in range(a[0], b[0] + 1):
        if lines[i].furniture:
            continue
        text = lines[i].text
        start = a[1] if i == a[0] else 0
        end = b[1] if i == b[0] else len(text)
        out.append(text[start:end])
    return out


def numbered_options(starts: list[Start]) -> tuple[list[Start], dict[int, list[Start]]]:
    """Booklets whose options are numbered like their questions (Spain's MIR: "12. stem" over "1. option",
    "2. option"...): the question starts (numbered 1, 2, 3... and each followed at once by an option 1)
    and, per question start's line, its option starts (1, 2, 3... up to the next question)."""
    questions: list[Start] = []
    options: dict[int, list[Start]] = {}
    expect = 1
    for k, s in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else None
        current = options.get(questions[-1].line_index) if questions else None
        if s.number == expect and nxt is not None and nxt.number == 1 and nxt.style == s.style:
            questions.append(s)
            options[s.line_index] = []
            expect += 1
        elif current is not None and s.number == len(current) + 1 and s.style == questions[-1].style:
            current.append(s)
    return questions, options


def option_markers(lines: list[XLine], option_starts: list[Start]) -> list[Marker]:
    """Numbered option starts as markers lettered A, B, C... (their place in the list)."""
    out = []
    for k, s in enumerate(option_starts):
        m = Marker(s.line_index, 0, s.offset, chr(ord("A") + k), "numbered", lines[s.line_index].x0)
        m.text_x = _x_at(lines[s.line_index], s.offset)
        out.append(m)
    return out


def build_question(lines: list[XLine], start: Start, end_index: int, run: list[Marker] | None = None) -> Question:
    """The question from its start line up to (not including) ``end_index``; ``run``: its option markers
    where they are known already (numbered options), else they are looked for."""
    first_offset = start.offset
    options_end = end_index
    if run is None:
        markers: list[Marker] = []
        for i in range(start.line_index, end_index):
            if lines[i].furniture:
                continue
            if i > start.line_index and AFTER_OPTIONS.match(lines[i].text) and any(m.letter in "Aa" for m in markers):
                # a question bank's "Answer: C" or "Explanation:" after the options ends them: the explanation's
                # own "A) ... B) ..." are no options
                options_end = i
                break
            found = line_markers(lines[i], i)
            if i == start.line_index:
                found = [m for m in found if m.start >= first_offset]
            markers.extend(found)
        run = option_run(markers)
    stem_from = (start.line_index, first_offset)
    if not run:
        stem = join_lines(_cut(lines, stem_from, (end_index - 1, 10**9)))
        return Question(start.number, start, stem, [], range(start.line_index, end_index), end=end_index)
    stem = join_lines(_cut(lines, stem_from, (run[0].line_index, run[0].start)))
    options = []
    for k, m in enumerate(run):
        if k + 1 < len(run):
            nxt = run[k + 1]
            parts = _cut(lines, (m.line_index, m.end), (nxt.line_index, nxt.start))
            last_line = nxt.line_index
        else:
            last_line = _last_option_line(lines, m, options_end)
            parts = _cut(lines, (m.line_index, m.end), (last_line, 10**9))
        options.append((m.letter.upper(), join_lines(parts)))
    last = _last_option_line(lines, run[-1], options_end)
    trailing = "\n\n".join(join_lines([lines[i].text for i in para])
                           for para in _paragraphs(lines, last + 1, end_index))
    return Question(start.number, start, stem, options, range(start.line_index, last + 1),
                    [m.line_index for m in run], trailing, end_index)


def _paragraphs(lines: list[XLine], first: int, end: int) -> list[list[int]]:
    """Lines ``first``..``end - 1`` (furniture left out) in paragraphs: a new one after a blank gap, or in
    another column or page."""
    out: list[list[int]] = []
    prev: XLine | None = None
    for i in range(first, end):
        ln = lines[i]
        if ln.furniture:
            continue
        height = ln.bbox[3] - ln.bbox[1]
        if (prev is None or (ln.page, ln.column) != (prev.page, prev.column)
                or ln.bbox[1] - prev.bbox[3] > 0.6 * height):
            out.append([])
        out[-1].append(i)
        prev = ln
    return out


def _last_option_line(lines: list[XLine], marker: Marker, end_index: int) -> int:
    """The last option runs on over lines indented past its marker and set close below it."""
    last = marker.line_index
    for i in range(marker.line_index + 1, end_index):
        ln = lines[i]
        if ln.furniture:
            continue
        prev = lines[last]
        same_flow = ln.page == prev.page and ln.column == prev.column
        gap = ln.bbox[1] - prev.bbox[3] if same_flow else 0.0
        height = prev.bbox[3] - prev.bbox[1]
        # a continuation line starts under the option's text (hanging indent), in the option's type
        indent_ok = marker.x0 + 1.5 < ln.x0 <= marker.text_x + 20
        if indent_ok and gap <= 0.9 * height and _same_type(ln, lines[marker.line_index]) and not line_markers(ln, i):
            last = i
        else:
            break
    return last


def _type(line: XLine) -> tuple[float, bool]:
    main = max((s for s in line.spans if s.text.strip()), key=lambda s: len(s.text.strip()), default=None)
    return (main.size, main.bold) if main else (0.0, False)


def _same_type(a: XLine, b: XLine) -> bool:
    (sa, ba), (sb, bb) = _type(a), _type(b)
    return abs(sa - sb) <= 1.0 and ba == bb


def looks_cjk(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and sum(is_cjk(c) for c in chars) > 0.3 * len(chars)
