"""The multilingual label grammar shared by caption detection and citation finding.

"Figure 3.2", "Fig. 1-A", "FIG 4", "Figura 1.2", "Tabela 3", "Quadro 2", "Abb. 5", "图3-1", "表 2",
"Table S1", "Figure A.1", "Table IV". Captions and citations differ only in where the match sits
and what follows it, so both use the same words and numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# word -> kind; matched case-insensitively, longest first.
_WORDS = {
    "figure": "figure", "figures": "figure", "fig": "figure", "figs": "figure",
    "figura": "figure", "figuras": "figure", "figur": "figure", "gráfico": "figure",
    "grafico": "figure", "gráficos": "figure", "imagen": "figure", "imagem": "figure",
    "abbildung": "figure", "abb": "figure", "scheme": "figure", "esquema": "figure",
    "plate": "figure", "illustration": "figure", "ilustração": "figure", "figuur": "figure",
    "table": "table", "tables": "table", "tabela": "table", "tabelas": "table", "tabla": "table",
    "tablas": "table", "quadro": "table", "quadros": "table", "tab": "table", "tabelle": "table",
    "tableau": "table", "tabella": "table", "cuadro": "table", "cuadros": "table", "immagine": "figure",
    "schema": "figure",
}
_CJK_WORDS = {"图": "figure", "圖": "figure", "図": "figure", "表": "table"}

_WORD_RE = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_DASH = "\\-\u2010\u2011\u2012\u2013\u2212"
# 3 | 3.2 | 3-2 | 1A | S1 | A.1 | IV  (a trailing lower/upper letter is a panel: "1A", "2b")
NUMBER = (rf"(?:[A-Z]\.\d+(?:[.{_DASH}]\d+)*|S\d+(?:\.\d+)?|\d+(?:[.{_DASH}]\d+)*(?:[.{_DASH}]?[A-Za-z](?![A-Za-z]))?"
          rf"|[IVXL]+(?![A-Za-z]))")
_SPACE = "[ \t\u00a0\u2002\u2003\u2009\u202f]"

LABEL_RE = re.compile(
    rf"(?P<word>(?:{_WORD_RE})\.?|[图圖図表])(?P<space>{_SPACE}*)(?P<num>{NUMBER})",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"^[\x00-\x1f\s]+")


# Word families: "Fig." and "Figure" name one series; "Scheme S1" and "Figure S1", or "Quadro 1" and
# "Tabela 1", are different objects that share a kind and a number.
_FAMILY = {"figs": "figure", "figures": "figure", "fig": "figure", "figura": "figure", "figuras": "figure",
           "figur": "figure", "figuur": "figure", "abbildung": "figure", "abb": "figure", "imagen": "figure",
           "imagem": "figure", "图": "figure", "圖": "figure", "図": "figure", "tables": "table", "tabela": "table",
           "tabelas": "table", "tabla": "table", "tablas": "table", "tab": "table", "tabelle": "table",
           "tableau": "table", "tabella": "table", "表": "table", "quadros": "quadro", "gráficos": "gráfico",
           "grafico": "gráfico", "esquema": "scheme", "schema": "scheme", "ilustração": "illustration",
           "cuadros": "cuadro", "immagine": "figure"}


def word_family(word: str) -> str:
    w = word.rstrip(".").lower()
    return _FAMILY.get(w, w)


@dataclass(frozen=True)
class Label:
    kind: str          # figure | table
    word: str          # as printed, e.g. "Fig."
    number: str        # normalised, e.g. "3.2"
    printed: str       # e.g. "Fig. 3.2"
    end: int           # offset just past the number in the matched text

    @property
    def key(self) -> tuple[str, str]:
        """Identity within a document: word family and number ("Fig. 2" is "Figure 2")."""
        return word_family(self.word), self.number


def word_kind(word: str) -> str | None:
    w = word.rstrip(".").lower()
    return _WORDS.get(w) or _CJK_WORDS.get(w)


def normalise_number(num: str) -> str:
    num = re.sub(f"[{_DASH}]", "-", num.strip())
    return num.upper() if re.fullmatch(r"[ivxl]+", num, re.IGNORECASE) else num


def parent_number(num: str) -> str:
    """Strip a panel letter: '1A' -> '1', '3.2b' -> '3.2', '1-A' -> '1'; keep 'A.1' and 'S1'."""
    m = re.fullmatch(r"(.*?\d)[.\-]?[A-Za-z]", num)
    return m.group(1) if m else num


def strip_control(text: str) -> str:
    return _CONTROL.sub("", text)


def label_at_start(text: str) -> Label | None:
    """The label a line starts with, if any (leading control characters ignored)."""
    clean = strip_control(text)
    offset = len(text) - len(clean)
    m = LABEL_RE.match(clean)
    if not m:
        return None
    word = m.group("word")
    kind = word_kind(word)
    if kind is None:
        return None
    if word.rstrip(".").lower() not in ("fig", "figs", "abb", "tab") and word.endswith("."):
        return None  # "Figure." is a sentence end, not a label word
    if word.isalpha() and not m.group("space") and word[0].isascii():
        return None  # "Table1x" glued words are not labels (CJK labels need no space)
    number = normalise_number(m.group("num"))
    return Label(kind=kind, word=word, number=number,
                 printed=f"{word}{m.group('space') and ' '}{m.group('num')}".strip(),
                 end=offset + m.end())


# A reference inside running text: a label, then more numbers joined by lists and ranges.
_JOIN = rf"(?:{_SPACE}*(?:,|;|&|and|e|y|und|et|to|{'|'.join(_DASH)}){_SPACE}*)"
CITATION_RE = re.compile(
    rf"(?P<word>\b(?:{_WORD_RE})\.?|[图圖表]){_SPACE}*(?P<nums>{NUMBER}(?:{_JOIN}{NUMBER})*)",
    re.IGNORECASE,
)
_NUM_ONLY = re.compile(NUMBER)


def _expand_range(a: str, b: str) -> list[str]:
    pa, pb = parent_number(a), parent_number(b)
    ma, mb = re.fullmatch(r"(.*?)(\d+)", pa), re.fullmatch(r"(.*?)(\d+)", pb)
    if ma and mb and ma.group(1) == mb.group(1) and 0 < int(mb.group(2)) - int(ma.group(2)) <= 30:
        return [f"{ma.group(1)}{i}" for i in range(int(ma.group(2)), int(mb.group(2)) + 1)]
    return [pa, pb]


def citations_in(text: str) -> list[tuple[str, str, int, int]]:
    """(family, number, start, end) for every figure/table reference in running text.

    Lists and ranges expand: "Figs. 2–4" gives 2, 3 and 4; panel letters go: "Fig. 1-A" gives 1.
    """
    out: list[tuple[str, str, int, int]] = []
    for m in CITATION_RE.finditer(text):
        if word_kind(m.group("word")) is None:
            continue
        family = word_family(m.group("word"))
        nums_text = m.group("nums")
        plural = m.group("word").rstrip(".").lower().endswith("s") and m.group("word").lower() != "abs"
        if plural:  # "Figs. 2-4" is a range, where "Fig. 3-2" is chapter 3, figure 2
            nums_text = re.sub(rf"(?<![.\d])(\d+)([{_DASH}])(\d+)\b", r"\1 \2 \3", nums_text)
        tokens = [(t.group(0), t.start()) for t in _NUM_ONLY.finditer(nums_text)]
        numbers: list[str] = []
        for i, (tok, pos) in enumerate(tokens):
            tok = normalise_number(tok)
            if i > 0:
                between = nums_text[tokens[i - 1][1] + len(tokens[i - 1][0]):pos]
                if re.search(f"[{_DASH}]|to", between) and numbers:
                    numbers.extend(_expand_range(numbers[-1], tok)[1:])
                    continue
            numbers.append(parent_number(tok))
        for n in dict.fromkeys(numbers):
            out.append((family, n, m.start(), m.end()))
    return out
