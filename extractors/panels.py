"""Sub-panel labels of a figure: letters set as text in the figure, else the ones its caption names.

Captions name panels in many ways: "(a) ... (b)", "A. ... B.", "a: ... b:", "... sequences. A Patchy
... B Hyperintensity", "(A, B) ... (C)", "(A–D)", "(A to C)", "(Left) ... (Right)".
"""
from __future__ import annotations

import re

# "B", "(b)", "c." alone, or sub-captions "(a) Right hip   (b) Left hip" under their panels
_ALONE = re.compile(r"^\(?([A-Za-z])\)?[.:]?$")
_SUB_CAPTION = re.compile(r"(?:^|\s)\(([A-Za-z])\)\s+\S")
_IN_CAPTION = re.compile(
    r"(?:^|[\s(])\(?([A-Za-z])\)\s"                      # "(a) ", "b) "
    r"|(?:^|[.;]\s)([A-Z])[.:,]\s"                         # ". B. ", ". C: "
    r"|(?:^|[.;]\s)([a-z]):\s"                             # ". b: "
    r"|(?:^|[.;:)]\s)([A-Z])\s(?=[A-Z][a-z])")             # ". A Patchy ...": a letter before a sentence
_LIST = re.compile(r"\(([A-Za-z](?:\s?(?:,|&|and)\s?[A-Za-z])+)\)")                # "(A, B)"
_RANGE = re.compile(r"\(([A-Za-z])\s?(?:[\u2013\u2014-]|to)\s?([A-Za-z])\)")        # "(A–D)", "(A to C)"
_PLACE = re.compile(r"\((left|right|cent(?:er|re)|middle|top|bottom|upper|lower)(?: (?:left|right|panel))?\)",
                    re.IGNORECASE)                                                 # "(Left) ... (Right)"


def panel_labels(figure_texts: list[str], caption_text: str) -> list[str]:
    found = [m.group(1) for t in figure_texts if (m := _ALONE.match(t.strip()))]
    found += [letter for t in figure_texts for letter in _SUB_CAPTION.findall(t)]
    letters = _consecutive(found)
    if len(letters) >= 2:
        return letters
    found = [next(g for g in groups if g) for groups in _IN_CAPTION.findall(caption_text)]
    for listed in _LIST.findall(caption_text):
        found += re.findall(r"[A-Za-z](?![a-z])", listed.replace("and", ","))
    for a, b in _RANGE.findall(caption_text):
        if a.isupper() == b.isupper() and a < b:
            found += [chr(c) for c in range(ord(a), ord(b) + 1)]
    letters = _consecutive(found)
    if len(letters) >= 2:
        return letters
    places = list(dict.fromkeys(m.group(0) for m in _PLACE.finditer(caption_text)))
    return places if len(places) >= 2 else []


def _consecutive(found: list[str]) -> list[str]:
    """Keep a run a, b, c... from the start of the alphabet, in one case."""
    seen = set(found)
    for first in ("A", "a"):
        run = []
        ch = first
        while ch in seen:
            run.append(ch)
            ch = chr(ord(ch) + 1)
        if len(run) >= 2:
            return run
    return []
