"""The deterministic tagger: taxonomy terms found in captions, citing text and question text.

Matching is done on text folded for comparison (NFKC, lower case, accents off) with an offset map
back to the original, so evidence spans quote the text as printed. Terms match as whole words in
alphabetic scripts and as substrings in CJK. The longest match wins where matches overlap.
Abbreviations match case-sensitively as whole words; two-letter ones ("US", "TC", "RM") count only
next to an imaging word ("US-guided", "TC de tórax", "an MR image"), where they cannot be pronouns
or country names. Scores add up per node (a caption counts more than citing text); a facet's label
is the best-supported category and, inside it, the best-supported most specific node, with its
ancestors rolled up.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from taxonomy.model import FACETS, Taxonomy, load

NAME = "lexicon"
VERSION = "1.0.0"

FIELD_WEIGHT = {"caption": 1.0, "stem": 1.0, "exam": 1.0, "options": 0.6, "citing": 0.5, "context": 0.5}
# The profession a record is for is the exam's, not a job named in a vignette ("a nurse calls..."); and
# an exam's title names every subject it covers, so it says nothing about one question's specialty.
FACET_FIELDS = {"profession": {"exam"}}
EXAM_ONLY = {"exam": {"profession"}}
ABBR_WEIGHT = 0.8
_CONTEXT = re.compile(
    r"(scan|image|imaging|guided|shows|showed|revealed|demonstrat|finding|exam|study|de tórax|de crânio|"
    r"de abdome|do abdome|do tórax|de crânio|craniano|abdominal|with contrast|com contraste|sin contraste|"
    r"sem contraste|con contraste|axial|sagittal|coronal|檢查|掃描|影像)", re.IGNORECASE)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x3000 <= o <= 0x303F


def fold(text: str) -> tuple[str, list[int]]:
    """Text folded for matching, and for each folded character the index of its original one."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch)):
            if unicodedata.combining(c):
                continue
            out.append(c.lower())
            index.append(i)
    return "".join(out), index


@dataclass
class Evidence:
    field: str
    text: str
    start: int
    end: int


@dataclass
class Label:
    facet: str
    id: str
    name: str
    path: list[str]
    path_ids: list[str]
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    tagger: str = NAME


@dataclass
class _Hit:
    node_id: str
    facet: str
    field: str
    start: int
    end: int
    weight: float


class LexiconTagger:
    name = NAME
    version = VERSION

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or load()
        self._terms: dict[str, list[tuple[str, str]]] = {}     # folded term -> [(facet, node id)]
        self._abbr: dict[str, list[tuple[str, str]]] = {}
        for facet in self.taxonomy.facets.values():
            for node in facet.nodes.values():
                for lang_terms in node.terms.values():
                    for term in lang_terms:
                        key = fold(term)[0].strip()
                        if key:
                            self._terms.setdefault(key, []).append((facet.name, node.id))
                for abbr in node.abbr:
                    self._abbr.setdefault(abbr, []).append((facet.name, node.id))
        words = sorted((t for t in self._terms if not any(_is_cjk(c) for c in t)), key=len, reverse=True)
        cjk = sorted((t for t in self._terms if any(_is_cjk(c) for c in t)), key=len, reverse=True)
        self._word_re = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, words)) + r")(?![\w])")
        self._cjk_re = re.compile("(" + "|".join(map(re.escape, cjk)) + ")") if cjk else None
        abbrs = sorted(self._abbr, key=len, reverse=True)
        self._abbr_re = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, abbrs)) + r")(?![A-Za-z0-9])")

    # -- matching ----------------------------------------------------------------------------
    def _hits(self, field_name: str, text: str) -> list[_Hit]:
        folded, index = fold(text)
        spans: list[tuple[int, int, list[tuple[str, str]], float]] = []
        for rx in (self._word_re, self._cjk_re):
            if rx is None:
                continue
            for m in rx.finditer(folded):
                start, end = index[m.start()], index[m.end() - 1] + 1
                spans.append((start, end, self._terms[m.group(1)], 1.0))
        for m in self._abbr_re.finditer(text):
            abbr = m.group(1)
            if len(abbr) <= 2:
                window = text[max(0, m.start() - 30): m.end() + 30]
                if not _CONTEXT.search(window):
                    continue
            spans.append((m.start(), m.end(), self._abbr[abbr], ABBR_WEIGHT))
        # the longest match wins where matches overlap
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        taken: list[tuple[int, int]] = []
        hits = []
        w = FIELD_WEIGHT.get(field_name, 0.5)
        for start, end, owners, weight in spans:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            for facet, node_id in owners:
                hits.append(_Hit(node_id, facet, field_name, start, end, w * weight))
        return hits

    # -- labelling ---------------------------------------------------------------------------
    def tag(self, fields: dict[str, str]) -> dict[str, list[Label]]:
        """Labels per facet for a record's text fields (caption, citing, stem, options, exam...)."""
        hits = [h for name, text in fields.items() if text for h in self._hits(name, text)
                if (h.facet in EXAM_ONLY.get(name, {h.facet})) and name in FACET_FIELDS.get(h.facet, {name})]
        out: dict[str, list[Label]] = {}
        for facet_name in FACETS:
            facet = self.taxonomy.facets[facet_name]
            mine = [h for h in hits if h.facet == facet_name]
            if not mine:
                continue
            score: dict[str, float] = {}
            for h in mine:
                score[h.node_id] = score.get(h.node_id, 0.0) + h.weight
            subtree: dict[str, float] = {}
            for node_id, s in score.items():
                for n in [node_id] + [a.id for a in facet.ancestors(node_id)]:
                    subtree[n] = subtree.get(n, 0.0) + s
            total = sum(score.values())
            labels = []
            for category in sorted((n for n in subtree if facet.nodes[n].parent is None),
                                   key=lambda n: -subtree[n]):
                best = self._deepest(facet, category, score, subtree)
                share = subtree[category] / total
                confidence = round(min(0.99, share * (1 - math.exp(-1.2 * subtree[category]))), 3)
                chain = facet.ancestors(best)
                on_path = {best, *(c.id for c in chain)}
                spans = dict.fromkeys((h.field, h.start, h.end) for h in mine if h.node_id in on_path)
                evidence = [Evidence(f, fields[f][a:b], a, b) for f, a, b in list(spans)[:5]]
                labels.append(Label(facet_name, best, facet.nodes[best].name, facet.path(best),
                                    [c.id for c in chain] + [best], confidence, evidence))
            out[facet_name] = labels
        return out

    def profession_votes(self, texts: list[str]) -> dict[str, int]:
        """How many texts name each profession (for a booklet whose title does not say)."""
        votes: dict[str, int] = {}
        for text in texts:
            found = {h.node_id for h in self._hits("exam", text) if h.facet == "profession"}
            for node_id in found:
                votes[node_id] = votes.get(node_id, 0) + 1
        return votes

    def profession_label(self, node_id: str, share: float, count: int) -> Label:
        facet = self.taxonomy.facets["profession"]
        chain = facet.ancestors(node_id)
        return Label("profession", node_id, facet.nodes[node_id].name, facet.path(node_id),
                     [c.id for c in chain] + [node_id], round(min(0.9, share), 3),
                     [Evidence("booklet", f"named in {count} questions of this booklet", 0, 0)], f"{NAME}:booklet")

    @staticmethod
    def _deepest(facet, category: str, score: dict[str, float], subtree: dict[str, float]) -> str:
        """Walk down from the category while a child holds the support."""
        node = category
        while True:
            kids = [k for k in facet.nodes[node].children if subtree.get(k, 0) > 0]
            if not kids:
                return node
            node = max(kids, key=lambda k: (subtree[k], score.get(k, 0)))
