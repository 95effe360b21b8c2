"""Lines of one paragraph joined back into running text, and text measured, alike for Latin and CJK
scripts: Chinese and Japanese put no space between words, so a word count or a character count
made for Latin text would call a whole Chinese line one short word."""
from __future__ import annotations

import unicodedata


def is_cjk(ch: str) -> bool:
    """Ideographs, kana, full-width forms, CJK punctuation, and the private-use glyphs exam booklets
    number options with."""
    if not ch:
        return False
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F
            or 0xE000 <= o <= 0xF8FF)


def rejoin_hyphenated(left: str, right: str) -> str | None:
    """``left`` and ``right`` as one word where ``left`` ends in a hyphen that broke a word at the line
    end; None where the break is not inside a word. A hyphen of a compound ("50-year-" + "old",
    "anti-TNF-" + "alpha") stays; a hyphen that split one word ("infarc-" + "tion") goes."""
    if not (left.endswith("-") and len(left) > 1 and left[-2].isalpha() and right[:1].islower()):
        return None
    word = left.rsplit(None, 1)[-1][:-1]
    if "-" in word or any(ch.isdigit() for ch in word):
        return left + right
    return left[:-1] + right


def join_lines(texts: list[str]) -> str:
    """No space across a break next to a CJK character or inside a hyphenated word, one space otherwise."""
    out = ""
    for t in texts:
        t = t.strip()
        if not t:
            continue
        joined = rejoin_hyphenated(out, t)
        if joined is not None:
            out = joined
            continue
        if out and not (is_cjk(out[-1]) or is_cjk(t[0])):
            out += " "
        out += t
    return out


def word_count(text: str) -> int:
    """Words, each CJK character counted as one."""
    return len("".join(f" {ch} " if is_cjk(ch) else ch for ch in text).split())


def text_width(text: str) -> int:
    """Length in Latin characters: a wide (CJK) character takes the room of two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
