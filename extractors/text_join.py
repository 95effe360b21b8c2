"""Lines of one paragraph joined back into running text."""
from __future__ import annotations


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
