"""The deterministic tagger: taxonomy terms found in captions, citing text and question text.

Matching is done on text folded for comparison (NFKC, lower case, accents off, Traditional Chinese
characters as Simplified, so that the terms of either script find text in both) with an offset map
back to the original, so evidence spans quote the text as printed. Terms match as whole words in
alphabetic scripts and as substrings in CJK. The longest match wins where matches of one facet overlap.
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
from functools import lru_cache

import opencc

from taxonomy.model import Taxonomy, load

NAME = "lexicon"
VERSION = "1.6.0"

_CJK_BLOCKS = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0x3000, 0x303F))
# A word's edges: not inside a word of an alphabetic script. CJK characters are word characters to the
# regex engine but no letters of an English term, and Chinese text runs them on ("有關Guillain-Barré").
_CJK_CLASS = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _CJK_BLOCKS)
_NOT_IN_WORD_BEFORE = rf"(?<!(?![{_CJK_CLASS}])\w)"
_NOT_IN_WORD_AFTER = rf"(?!(?![{_CJK_CLASS}])\w)"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return any(a <= o <= b for a, b in _CJK_BLOCKS)


_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=None)
def _simplified(ch: str) -> str:
    """One character at a time, so that every folded character still points at one printed one."""
    out = _T2S.convert(ch)
    return out if len(out) == 1 else ch


def simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters as Simplified, character for character: the patterns
    below are written once and match either script, at the same offsets."""
    return "".join(_simplified(ch) if _is_cjk(ch) else ch for ch in text)


FIELD_WEIGHT = {"caption": 1.0, "stem": 1.0, "exam": 1.0, "answer": 1.0, "options": 0.6, "citing": 0.5,
                "context": 0.5, "section": 0.6, "document": 0.15}
# The profession a record is for is the exam's, not a job named in a vignette ("a nurse calls..."); an
# exam's title names every subject it covers, so it is no evidence for one question's specialty (it only
# weighs the question's own evidence: SUBJECT_BOOST). A book's or an article's title says what field its
# figures belong to, not what they show.
FACET_FIELDS = {"profession": {"exam"}}
# The chapter or section a figure sits in says its field and often the body system, never the picture's kind.
FIELD_FACETS = {"exam": {"profession"}, "document": {"specialty"}, "section": {"specialty", "anatomy"}}
ABBR_WEIGHT = 0.8
# What the shared case of an item set (or the earlier stems) says for a node counts up to this much: an
# abstract that names opioids ten times sets the scene for "Which aspect of the study limits confidence?"
CONTEXT_CAP = 1.0
OWN_WORDS = 1.5          # an organ or modality the record's own words name, as evidence for the specialty
SUBJECT_BOOST = 2.0      # evidence for a subject the exam's title lists
# Options that speak of confidentiality, consent, notification, screening or a study's bias make a question
# about the physician's conduct or about reading evidence, whatever the case that sets the scene: clinical
# questions' options name diagnoses, drugs and tests instead.
CONDUCT_ROOTS, CONDUCT_BOOST = ("spe.community", "spe.biostatistics"), 2.0
# Options that are things the physician might say ("I'm very sorry, but the baby will not survive.") make a
# question about talking with patients, whatever the case.
SPOKEN_NODE = "spe.family_medicine"
OPTION_SEPARATOR = " | "     # between the options of a record's "answer" and "options" fields
_QUOTED = re.compile(r"\s*[\"“«「『]")
ECHO_WEIGHT = 0.3        # a record's evidence for what its document's title already names
WEAK_WEIGHT = 0.25       # a setting or a patient group ("emergency department", "a 5-year-old boy")
PRIOR_WEIGHT = {"anatomy": 0.6, "modality": 0.3}   # specialty from the organ system / the modality
# Regional anatomy ("abdomen", "neck", "hand") turns up in every physical examination; an organ named
# in the text is better evidence of what a record is about.
REGIONAL_ROOT, REGIONAL_WEIGHT = "ana.regions", 0.4
_CONTEXT = re.compile(simplified(
    r"(scan|image|imaging|guided|shows|showed|revealed|demonstrat|finding|exam|study|de tórax|de crânio|"
    r"de abdome|do abdome|do tórax|de crânio|craniano|abdominal|with contrast|com contraste|sin contraste|"
    r"sem contraste|con contraste|contrasto|axial|assiale|sagittal|coronal|della testa|del torace|dell.addome|"
    r"del cranio|encefalo|mostra|evidenzia|檢查|掃描|影像)"), re.IGNORECASE)


# Idioms that contain a body part's name but are not about the body.
STOP_PHRASES = ("on the other hand", "on one hand", "right-hand", "left-hand", "right hand side", "left hand side",
                "hand-held", "handheld", "first-hand", "hands-on", "by hand", "at hand", "head-to-head",
                "head of department", "back to", "back and forth", "face-to-face", "face mask", "em face de",
                "face a", "face ao", "face à", "a pie de", "de pie", "al pie de", "pé de igualdade", "zinc finger",
                "zinc-finger")
SHORT = 3    # a term this short matches only as written (accents kept) and never in capitals: "pé" is not "PE"
# A patient's age: a child's is weak evidence for pediatrics, as "boy" and "criança" are; an infant's (in
# days, weeks or months: "3-week-old", "de 9 meses", "3 個月大") is full evidence.
CHILD_NODE, CHILD_YEARS = "spe.pediatrics", 13
# A child's heart, lungs, kidneys, blood, hormones, infections or inborn syndromes are pediatrics, as
# pediatric cardiology, nephrology or hematology-oncology are; a child's skin, mind, nerves, eyes or
# surgery keep their own field (dermatology, child psychiatry, pediatric surgery).
CHILD_FIELDS = ("spe.internal", "spe.genetics")
_CHILD_AGE = re.compile(simplified(
    r"\b(?:(?P<y>\d{1,2})[- ]year[- ]old|\d{1,2}[- ](?:month|week|day)[- ]old|"
    r"(?:de|com|con|tem|tiene) (?P<y2>\d{1,2}) (?:anos|años|anni)\b|"
    r"(?:de|com|con) \d{1,2} (?:meses|dias|días|mesi)\b|age: (?P<y4>\d{1,2}) years?\b)|"
    r"(?P<y3>\d{1,2}) ?歲|\d{1,2} ?(?:個月|週|天)大"), re.IGNORECASE)
# Words for a child patient, where a vignette gives no age (an adolescent is no child here).
_CHILD_WORD = re.compile(simplified(
    r"\b(?:child|children|boy|girl|toddler|infant|newborn|neonate|criança|menino|menina|escolar|"
    r"pré-escolar|lactente|recém-nascido|niño|niña|lactante|recién nacido)\b|"
    r"兒童|男童|女童|病童|患童|患兒|小兒|幼兒|男孩|女孩|小孩|嬰|新生兒"), re.IGNORECASE)


# A pregnant patient ("at 31 weeks' gestation", "primigesta", "懷孕") takes her infections, diabetes or
# thyroid disease to prenatal care: they are obstetrics, as a child's are pediatrics.
PREGNANCY_NODE, PREGNANCY_FIELDS = "spe.obgyn", ("spe.internal",)
_PREGNANT = re.compile(simplified(
    r"\b(?:is|was) (?:\d{1,2} weeks )?pregnant\b|\bpregnant (?:woman|patient)\b|weeks['’]? (?:of )?gestation|"
    r"\b(?:gestante|grávida|primigesta|secundigesta|multigesta|embarazada|primigestante)\b|idade gestacional|"
    r"semanas de gesta|semanas de embarazo|懷孕|孕婦|妊娠"), re.IGNORECASE)

# A cover's field for the candidate's profession ("類科：醫師", "Cargo: Médico") names it, where the rest of the
# cover lists every profession examined in that session.
_PROFESSION_FIELD = re.compile(
    simplified(r"(?:類\s*科|cargo|profissao|profesion|profession)\s*[:：]\s*([^\s:：]{1,40})"))
DISPLAY_ITEMS = {"mod.table", "mod.chart", "mod.illustration"}   # kinds a document numbers and refers to
_XREF = re.compile(r"\s?(?:\d|[IVX]+\b|S\d|[A-Z]\.?\d)")


# Negation, after NegEx: what a vignette or a caption says is absent ("no history of trauma", "nega
# tabagismo", "sem edemas", "無發燒") is not what the record is about: it is no evidence for the specialty.
# The organ and the modality stay ("no enhancement in the pons" still shows the pons, "no abnormality on
# CT" is still a CT). A cue's scope is the next few words, to the end of the clause. Bare "not"/"não"/"不"
# are no cues: "Which of the following is NOT a feature of Graves disease?" is about Graves disease.
NEGATED_FACETS = {"specialty"}
NEGATION_WORDS = 6
_NEG_CUE = re.compile(simplified(
    r"\b(?:without|denies|denied|denying|negative for|absence of|free of|(?:has|have|had|did|does) not (?:had|have|"
    r"experienced|noticed)|nega(?:m|ndo|va|ou|do)?|niega|negó|negando|sem|sin|senza|ausência de|ausencia de|"
    r"assenza di|nenhum|nenhuma|ningún|ninguna|não (?:apresenta|apresentava|há|havia|tem|teve|refere|houve)|"
    r"no (?:presenta|hay|tiene|refiere))\b|(?:無(?![法力菌關論])|沒有|没有|否認|未見|未有)"), re.IGNORECASE)
_NEG_NO = re.compile(r"\bno\b", re.IGNORECASE)      # English "no"; in Portuguese it is "in the"
_NEG_END = re.compile(r"[.;:!?。；：，]|\b(?:but|however|although|except|mas|porém|pero|aunque|ma)\b", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(?:the|of|and|with|was|has|is)\b", re.IGNORECASE)
_ROMANCE = re.compile(r"\b(?:de|da|do|que|com|em|el|la|los|con|di|il|una|um|uma)\b", re.IGNORECASE)


# What a vignette tells of the patient's past ("with a history of hypertension", "portador de DPOC"), of
# the drugs the patient already takes ("Medications are metformin and aspirin", "em uso de losartana") and
# of another person ("His mother has type 2 diabetes", after ConText's experiencer) is the background,
# not the question: it weighs less for the organ and the specialty, to the end of its clause. "A 3-month
# history of chest pain" is the present illness and keeps its weight.
HISTORY_WEIGHT, PAST_FACETS = 0.5, {"anatomy", "specialty"}
_RELATIVE = (r"(?:mother|father|brother|sister|sibling|grandmother|grandfather|aunt|uncle|cousin|parents?|"
             r"son|daughter|wife|husband|partner)")
_HISTORY_CUE = re.compile(
    r"\b(?:history of|medical history|family history|antecedentes? (?:de|pessoais|familiares|pessoal|familiar)|"
    r"história (?:prévia|familiar|pregressa|patológica pregressa) de|histórico de|portador(?:a)? de|"
    r"historia (?:previa|familiar|personal) de|"
    r"(?:current |only |daily )?medications? (?:are|is|include|includes)|(?:he|she) (?:takes|is taking)|"
    r"(?:he|she) has (?!had\b|been\b|an?\b|no\b|not\b|never\b)|"
    r"(?:em|faz) uso (?:contínuo |regular |crônico )?de|uso (?:contínuo|regular|crônico|crónico|prolongado|habitual) de|"
    r"usa (?:regularmente|diariamente)|en tratamiento con|"
    r"(?:his|her|the patient's) " + _RELATIVE + r"(?: and \w+)? (?:has|had|have|died|was diagnosed)|"
    r"(?:mãe|pai|irmão|irmã|avó|avô) (?:tem|teve|é portador|é portadora|faleceu|morreu))\b", re.IGNORECASE)
# the past ends with the sentence, or where the vignette turns to why the patient comes now
_HISTORY_END = re.compile(r"[.;。；]|\b(?:comes?|presents?|is (?:brought|admitted|seen|evaluated)|returns?|chega|"
                          r"procura|comparece|apresenta|acude|consulta|llega)\b", re.IGNORECASE)
_PRESENT_ILLNESS = re.compile(r"(?:day|week|month|year|hour)s?[- ]$", re.IGNORECASE)


def history_scopes(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that tell the patient's past."""
    scopes = []
    for cue in _HISTORY_CUE.finditer(text):
        if _PRESENT_ILLNESS.search(text[max(0, cue.start() - 8):cue.start()]):
            continue
        stop = _HISTORY_END.search(text, cue.end())
        scopes.append((cue.end(), stop.start() if stop else len(text)))
    return scopes


def negated_scopes(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that a negation cue covers."""
    cues = list(_NEG_CUE.finditer(text))
    if len(_ENGLISH.findall(text)) > len(_ROMANCE.findall(text)):
        cues += list(_NEG_NO.finditer(text))
    scopes = []
    for cue in cues:
        start = cue.end()
        stop = _NEG_END.search(text, start)
        end = stop.start() if stop else len(text)
        if any(_is_cjk(c) for c in cue.group()):
            end = min(end, start + NEGATION_WORDS + 2)      # characters, not words
        else:
            words = list(re.finditer(r"\S+", text[start:end]))
            if len(words) > NEGATION_WORDS:
                end = start + words[NEGATION_WORDS - 1].end()
        scopes.append((start, end))
    return scopes


def fold(text: str) -> tuple[str, list[int]]:
    """Text folded for matching, and for each folded character the index of its original one."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isupper() and not _is_cjk(ch) and i and (text[i - 1].isdigit() or text[i - 2:i].isalpha()
                                                       and text[i - 2:i].islower()):
            # words run together in names and titles ("ChestX-ray14", "BIO400Neuroanatomy"), while a
            # single lower-case letter is a prefix ("mRNA", "eLife")
            out.append(" ")
            index.append(i)
        if ch in "ñÑ":    # a letter of its own in Spanish: "año" (year) is not "ano", "uña" not "una"
            out.append("ñ")
            index.append(i)
            continue
        if _is_cjk(ch):
            ch = _simplified(ch)
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


def _prior_text(labels: dict[str, list[Label]], field_name: str) -> str:
    facet = field_name.removesuffix("-prior")
    top = (labels.get(facet) or [None])[0]
    return f"{facet}: {top.name}" if top else facet


def _years(m: re.Match) -> str | None:
    return m.group("y") or m.group("y2") or m.group("y3") or m.group("y4")


def _spoken_options(fields: dict[str, str]) -> list[_Hit]:
    parts = []
    for name in ("answer", "options"):
        text, at = fields.get(name), 0
        for part in text.split(OPTION_SEPARATOR) if text else ():
            parts.append((name, at, at + len(part), part))
            at += len(part) + len(OPTION_SEPARATOR)
    quoted = [p for p in parts if _QUOTED.match(p[3])]
    if len(parts) < 3 or 2 * len(quoted) < len(parts):
        return []
    name, start, end, _ = quoted[0]
    return [_Hit(SPOKEN_NODE, "specialty", name, start, end, FIELD_WEIGHT[name])]


def _a_child(text: str) -> bool:
    """Whether the patient is a child: the first age a vignette gives is the patient's ("her 3-year-old
    son" comes after the mother's age); without an age, a word for a child says so."""
    m = _CHILD_AGE.search(text)
    if m:
        years = _years(m)
        return years is None or int(years) < CHILD_YEARS
    return bool(_CHILD_WORD.search(text))


class LexiconTagger:
    name = NAME
    version = VERSION

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or load()
        self._terms: dict[str, list[tuple[str, str]]] = {}     # folded term -> [(facet, node id)]
        self._abbr: dict[str, list[tuple[str, str]]] = {}
        self._weak: set[tuple[str, str]] = set()               # (folded term, node id) that are weak
        self._short: dict[str, set[str]] = {}                   # folded short term -> forms as written
        self._exams: dict[str, tuple[set[str], list]] = {}     # exam title -> (specialties it lists,
        #                                                          spans of its profession field)

        def own(table: dict, key: str, owner: tuple[str, str]) -> None:
            # once per node: "dengue" in the en, pt and es lists is one term, not three votes
            if key and owner not in table.setdefault(key, []):
                table[key].append(owner)

        for facet in self.taxonomy.facets.values():
            for node in facet.nodes.values():
                for abbr in node.abbr:
                    own(self._abbr, abbr, (facet.name, node.id))
                terms = [(t, False) for ts in node.terms.values() for t in ts] + [(t, True) for t in node.weak]
                for term, weak in terms:
                    key = fold(term)[0].strip()
                    own(self._terms, key, (facet.name, node.id))
                    if weak:
                        self._weak.add((key, node.id))
                    if len(key) <= SHORT:
                        self._short.setdefault(key, set()).add(term.lower().rstrip("s"))
        for phrase in STOP_PHRASES:     # matched so that they win over the shorter term inside, then dropped
            self._terms.setdefault(fold(phrase)[0], [])
        specialty = self.taxonomy.facets["specialty"]
        def under(roots):
            return {n for n in specialty.nodes if {n, *(a.id for a in specialty.ancestors(n))} & set(roots)}
        self._conduct = under(CONDUCT_ROOTS)
        self._moved = {CHILD_NODE: under(CHILD_FIELDS), PREGNANCY_NODE: under(PREGNANCY_FIELDS)}
        from taxonomy.model import specialty_priors
        self._priors = specialty_priors()
        anatomy = self.taxonomy.facets["anatomy"]
        self._regional = {n for n in anatomy.nodes if n == REGIONAL_ROOT
                          or REGIONAL_ROOT in (a.id for a in anatomy.ancestors(n))}
        modality = self.taxonomy.facets["modality"]
        self._display = {n for n in modality.nodes if modality.category(n).id in DISPLAY_ITEMS}
        # one pattern per facet, so that a facet's longest match does not hide another's: "Parkinson
        # disease" names the brainstem (anatomy) and says "parkinson" (neurology)
        self._patterns: list[tuple[str, re.Pattern]] = []
        for facet_name in self.taxonomy.facets:
            mine = [t for t, owners in self._terms.items() if not owners or any(f == facet_name for f, _ in owners)]
            words = sorted((t for t in mine if not any(_is_cjk(c) for c in t)), key=len, reverse=True)
            cjk = sorted((t for t in mine if any(_is_cjk(c) for c in t)), key=len, reverse=True)
            # a plural is the same term ("graphs", "lesões" aside): an optional s/es before the word ends
            self._patterns.append((facet_name, re.compile(
                _NOT_IN_WORD_BEFORE + "(" + "|".join(map(re.escape, words)) + r")(?:e?s)?" + _NOT_IN_WORD_AFTER)))
            if cjk:
                self._patterns.append((facet_name, re.compile("(" + "|".join(map(re.escape, cjk)) + ")")))
        abbrs = sorted(self._abbr, key=len, reverse=True)
        self._abbr_re = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, abbrs)) + r")(?![A-Za-z0-9])")

    # -- matching ----------------------------------------------------------------------------
    def _hits(self, field_name: str, text: str) -> list[_Hit]:
        folded, index = fold(text)
        plain = simplified(text)
        spans: list[tuple[int, int, str, list[tuple[str, str]], str | None]] = []
        for facet_name, rx in self._patterns:
            for m in rx.finditer(folded):
                start, end = index[m.start()], index[m.end() - 1] + 1
                owners = [(f, n) for f, n in self._terms[m.group(1)] if f == facet_name]
                if len(m.group(1)) <= SHORT and not any(_is_cjk(c) for c in m.group(1)):
                    written = text[start:end]
                    if written.isupper() or written.lower().rstrip("s") not in self._short.get(m.group(1), ()):
                        continue
                if _XREF.match(text, end):
                    # "Table 2", "Chart 3", "Algorithm 1": a pointer to another display item, not what
                    # this one is (while "ultrasound 3 days later" is still an ultrasound)
                    owners = [(f, n) for f, n in owners if n not in self._display]
                spans.append((start, end, facet_name, owners, m.group(1)))
        for m in self._abbr_re.finditer(text):
            abbr = m.group(1)
            if len(abbr) <= 2:
                window = plain[max(0, m.start() - 30): m.end() + 30]
                if not _CONTEXT.search(window):
                    continue
            for facet_name in {f for f, _ in self._abbr[abbr]}:
                spans.append((m.start(), m.end(), facet_name,
                              [(f, n) for f, n in self._abbr[abbr] if f == facet_name], None))
        # the longest match wins where matches of one facet overlap (a stop phrase, owning nothing, wins
        # and is dropped)
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        taken: dict[str, list[tuple[int, int]]] = {}
        negated = negated_scopes(plain)
        past = history_scopes(plain)
        hits = []
        w = FIELD_WEIGHT.get(field_name, 0.5)
        for start, end, facet_name, owners, term in spans:
            if any(start < e and s < end for s, e in taken.get(facet_name, ())):
                continue
            taken.setdefault(facet_name, []).append((start, end))
            if facet_name in NEGATED_FACETS and any(a <= start < b for a, b in negated):
                continue
            for facet, node_id in owners:
                weight = ABBR_WEIGHT if term is None else WEAK_WEIGHT if (term, node_id) in self._weak else 1.0
                if facet in PAST_FACETS and any(a <= start < b for a, b in past):
                    weight *= HISTORY_WEIGHT
                if node_id in self._regional:
                    weight *= REGIONAL_WEIGHT
                hits.append(_Hit(node_id, facet, field_name, start, end, w * weight))
        for m in _CHILD_AGE.finditer(plain):     # "a 5-year-old", "de 4 anos", "6 歲": a child, like "boy"
            years = _years(m)
            if years is None or int(years) < CHILD_YEARS:
                hits.append(_Hit(CHILD_NODE, "specialty", field_name, m.start(), m.end(),
                                 w * (1.0 if years is None else WEAK_WEIGHT)))
        return hits

    def _prior_hits(self, labels: dict[str, list[Label]]) -> list[_Hit]:
        """Specialty evidence from the record's organ system and modality."""
        hits = []
        for facet_name, factor in PRIOR_WEIGHT.items():
            top = (labels.get(facet_name) or [None])[0]
            if top is None:
                continue
            for node_id in reversed(top.path_ids):  # the most specific mapped ancestor
                target = self._priors.get(facet_name, {}).get(node_id)
                if target:
                    # what the caption or the stem itself names outweighs what surrounding text does
                    own = any(e.field in ("caption", "stem") for e in top.evidence)
                    weight = factor * top.confidence * (OWN_WORDS if own else 1.0)
                    hits.append(_Hit(target, "specialty", f"{facet_name}-prior", 0, 0, weight))
                    break
        return hits

    # -- labelling ---------------------------------------------------------------------------
    def tag(self, fields: dict[str, str]) -> dict[str, list[Label]]:
        """Labels per facet for a record's text fields (caption, citing, stem, options, exam...)."""
        hits = [h for name, text in fields.items() if text for h in self._hits(name, text)
                if (h.facet in FIELD_FACETS.get(name, {h.facet})) and name in FACET_FIELDS.get(h.facet, {name})]
        # what the document's title names, every record of it names: there it tells this record apart
        # from no other (a dengue manual's figures all say "dengue"; its lab chapter's say "assay" too)
        echoed = {h.node_id for h in hits if h.field == "document"}
        for h in hits:
            if h.field != "document" and h.node_id in echoed:
                h.weight *= ECHO_WEIGHT
        # an exam whose title lists its subjects ("醫學(四)（包括小兒科、皮膚科、神經科、精神科）") asks
        # about those: a question's evidence for one of them counts more than for a field it does not list
        exam = fields.get("exam") or ""
        if exam not in self._exams:
            folded, index = fold(exam)     # covers print compatibility forms (U+F9D0 for 類)
            self._exams[exam] = ({h.node_id for h in self._hits("exam", exam) if h.facet == "specialty"},
                                 [(index[m.start(1)], index[m.end(1) - 1] + 1)
                                  for m in _PROFESSION_FIELD.finditer(folded)])
        subjects, named = self._exams[exam]
        out: dict[str, list[Label]] = {}
        for facet_name in ("modality", "anatomy", "specialty", "profession"):
            if facet_name == "specialty":
                hits += self._prior_hits(out) + _spoken_options(fields)
                vignette = simplified(fields.get("stem") or fields.get("caption") or "")
                patient = CHILD_NODE if _a_child(vignette) else PREGNANCY_NODE if _PREGNANT.search(vignette) else None
                for h in hits if patient else ():
                    if h.node_id in self._moved[patient]:
                        h.node_id = patient
                for h in hits:
                    if h.node_id in subjects and h.field != "exam":
                        h.weight *= SUBJECT_BOOST
                    if h.field in ("answer", "options") and h.node_id in self._conduct:
                        h.weight *= CONDUCT_BOOST
            facet = self.taxonomy.facets[facet_name]
            mine = [h for h in hits if h.facet == facet_name]
            if facet_name == "profession":
                mine = [h for h in mine if h.field == "exam" and any(a <= h.start < b for a, b in named)] or mine
            if not mine:
                continue
            score: dict[str, float] = {}
            shared: dict[str, float] = {}
            for h in mine:
                if h.field == "context":
                    shared[h.node_id] = shared.get(h.node_id, 0.0) + h.weight
                else:
                    score[h.node_id] = score.get(h.node_id, 0.0) + h.weight
            for node_id, s in shared.items():     # a long shared case says the setting, not what is asked
                score[node_id] = score.get(node_id, 0.0) + min(s, CONTEXT_CAP)
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
                evidence = [Evidence(f, fields[f][a:b] if f in fields else _prior_text(out, f), a, b)
                            for f, a, b in list(spans)[:5]]
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

    def fixed_label(self, facet_name: str, node_id: str, why: str, confidence: float = 0.99,
                    how: str = "record") -> Label:
        """A label that comes from what a record or its document is, not from words in it."""
        facet = self.taxonomy.facets[facet_name]
        chain = facet.ancestors(node_id)
        return Label(facet_name, node_id, facet.nodes[node_id].name, facet.path(node_id),
                     [c.id for c in chain] + [node_id], confidence, [Evidence(how, why, 0, 0)], f"{NAME}:{how}")

    @staticmethod
    def _deepest(facet, category: str, score: dict[str, float], subtree: dict[str, float]) -> str:
        """Walk down from the category while a child holds the support."""
        node = category
        while True:
            kids = [k for k in facet.nodes[node].children if subtree.get(k, 0) > 0]
            if not kids:
                return node
            node = max(kids, key=lambda k: (subtree[k], score.get(k, 0)))
