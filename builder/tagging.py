"""The tag stage: taxonomy labels for every figure and question in a workspace.

Reads the extract stage's records through the workspace, writes one Labels record per figure or
question (``records/labels/<source>.jsonl``), per source document, resumable like every stage: a
document already tagged with the same taggers and taxonomy version is skipped.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path

from builder.records import Figure, Labels, Question, earlier_stems
from builder.workspace import Workspace
from taxonomy.lexicon_tagger import OPTION_SEPARATOR, LexiconTagger
from taxonomy.picture import CHART_CUES, looks

STAGE = "tag"
UPSTREAM = ("extract",)      # a document extracted again is tagged again
# Below this confidence a label is for a reviewer to check: on the hand-labelled sets, labels at or above
# it are right about nine times in ten (benchmarks/score_tagger.py prints the figure).
LOW_CONFIDENCE = 0.5


def to_check(label: dict | None) -> bool:
    """A label a reviewer should check (review marks it, stats and the release card count it)."""
    return bool(label) and label.get("confidence") is not None and label["confidence"] < LOW_CONFIDENCE

SKIN = {"ana.integumentary", "spe.skin"}


@dataclass
class TagResult:
    source: str
    status: str          # done | skipped
    records: int = 0
    labelled: dict | None = None


def record_fields(record, title: str | None = None, earlier: str = "") -> dict[str, str]:
    """The text a tagger reads, by field; the field names weigh the evidence. ``title`` is the
    document's: an exam's (for the profession) or a book's or article's (for the specialty).
    ``earlier``: the stems of the questions this one continues ("承上題", "the same patient...")."""
    if isinstance(record, Figure):
        return {"caption": record.caption_text, "citing": " ".join(c.text for c in record.citing[:5]),
                "section": record.section or "", "document": title or ""}
    if isinstance(record, Question):
        info = record.exam or {}
        exam = " ".join(x for x in (info.get("name"), info.get("cover"), title) if x)
        keyed = {record.answer} if isinstance(record.answer, str) else set(record.answer or ())
        return {"stem": record.stem,
                "answer": OPTION_SEPARATOR.join(o.text for o in record.options if o.label in keyed),
                "options": OPTION_SEPARATOR.join(o.text for o in record.options if o.label not in keyed),
                "context": " ".join(x for x in (record.shared_context, earlier) if x), "exam": exam}
    raise TypeError(f"cannot tag {type(record).__name__}")


def _stored(label) -> dict:
    return {k: v for k, v in asdict(label).items() if k != "facet"}


def _picture_modality(tagger, record, facets: dict, picture: Path) -> dict | None:
    """The modality a picture's looks suggest where its words name none: line art on a white page is a
    drawing (a chart where the words count things), and an exam's colour photograph is a clinical photo
    (of the skin where the record is about the skin)."""
    try:
        seen = looks(picture)
    except (OSError, ValueError):      # an unreadable picture: its words alone decide, as before
        return None
    text = record.caption_text if isinstance(record, Figure) else record.stem
    why = f"the picture looks like {seen.kind} ({seen.white:.0%} white, {seen.flat:.0%} flat)"
    if seen.kind == "drawing":
        node = "mod.chart" if CHART_CUES.search(text or "") else "mod.illustration"
    elif seen.kind == "photo" and isinstance(record, Question):
        about = {i for f in ("anatomy", "specialty") for label in facets.get(f, [])[:1] for i in label["path_ids"]}
        node = "mod.photo.skin" if about & SKIN else "mod.photo"
    else:
        return None
    return _stored(tagger.fixed_label("modality", node, why, confidence=0.5, how="picture"))


def label_record(tagger, record, fields: dict[str, str], picture: Path | None = None) -> Labels:
    """``fields``: record_fields(record); ``picture``: the record's image in the workspace, looked at
    only where no words name a modality."""
    facets = {facet: [_stored(label) for label in labels] for facet, labels in tagger.tag(fields).items()}
    # what the record itself says: a table is a table; a question without a picture shows no modality
    if isinstance(record, Figure) and record.kind == "table":
        facets["modality"] = [_stored(tagger.fixed_label("modality", "mod.data_table", "the record is a table"))]
    if isinstance(record, Question) and not record.images:
        facets.pop("modality", None)
    elif not facets.get("modality") and picture is not None and picture.exists():
        label = _picture_modality(tagger, record, facets, picture)
        if label:
            facets["modality"] = [label]
    return Labels(id=f"{record.id}-labels", record_id=record.id, record_kind=record.KIND,
                  source_sha256=record.source_sha256, taxonomy_version=tagger.taxonomy.version,
                  facets=facets, taggers=[f"{tagger.name}-{tagger.version}"])


def _picture(ws: Workspace, record) -> Path | None:
    image = record.image if isinstance(record, Figure) else (record.images[0] if record.images else None)
    return ws.path(image.path) if image else None


def _booklet_profession(tagger, records, labels: list[Labels]) -> None:
    """An exam booklet is for one profession. Where its title does not say which, the profession
    its questions address ("o médico deve...", "the nurse should...") decides, by a clear majority."""
    questions = [(r, l) for r, l in zip(records, labels) if isinstance(r, Question)]
    if not questions or any(l.facets.get("profession") for _, l in questions):
        return
    votes = tagger.profession_votes([r.stem for r, _ in questions])
    if not votes:
        return
    best, count = max(votes.items(), key=lambda kv: kv[1])
    share = count / sum(votes.values())
    if count >= 3 and share >= 0.6:
        label = _stored(tagger.fixed_label("profession", best, f"named in {count} questions of this booklet",
                                           confidence=round(min(0.9, share), 3), how="booklet"))
        for _, l in questions:
            l.facets["profession"] = [label]


NOT_OF_THE_BODY = {"mod.chart", "mod.table", "mod.flowchart"}


def _shows_the_body(labels: Labels) -> bool:
    modality = labels.primary("modality")
    return not modality or not NOT_OF_THE_BODY & set(modality["path_ids"])


def _document_majority(tagger, labels: list[Labels], facet: str, category: bool = False, only=None) -> None:
    """A book chapter or an article is about one field and mostly one body system: records that name
    none take what most of their document's records name (a weaker label, marked as such), where
    ``only(labels)`` allows. For anatomy only the system is safe to carry over (``category``), not the
    organ, and only to pictures that show the body, not to charts, tables and flowcharts."""
    votes: dict[str, float] = {}
    for l in labels:
        top = l.primary(facet)
        if top and top["tagger"] == tagger.name:
            node = top["path_ids"][0] if category else top["id"]
            votes[node] = votes.get(node, 0.0) + top["confidence"]
    if not votes:
        return
    best, weight = max(votes.items(), key=lambda kv: kv[1])
    share = weight / sum(votes.values())
    if share < 0.4:
        return
    label = _stored(tagger.fixed_label(facet, best, f"the document's main {facet} ({share:.0%} of its "
                                       "labelled records)", confidence=round(0.6 * share, 3), how="document"))
    for l in labels:
        if not l.facets.get(facet) and (only is None or only(l)):
            l.facets[facet] = [label]


# Many booklets ask their subjects in sections (a run of pediatrics, then of dermatology); others shuffle
# them. Where the questions' own labels run on far longer than a shuffle of them would (a permutation
# test), a question's neighbours' field is evidence for its own.
SECTION_WINDOW, SECTION_WEIGHT, SECTION_ALPHA, SECTION_SHUFFLES = 3, 0.5, 0.01, 500


def sectioned(categories: list[str | None], seed: int = 0) -> bool:
    """Whether a booklet's sequence of question categories runs in sections: more neighbours share a
    category than in all but ``SECTION_ALPHA`` of shuffles of the same sequence."""
    def runs(seq):
        return sum(1 for a, b in zip(seq, seq[1:]) if a is not None and a == b)
    known = [c for c in categories if c is not None]
    if len(known) < 20 or len(set(known)) < 2:
        return False
    observed, rng, seq = runs(categories), random.Random(seed), list(categories)
    as_high = 0
    for _ in range(SECTION_SHUFFLES):
        rng.shuffle(seq)
        as_high += runs(seq) >= observed
    return as_high / SECTION_SHUFFLES < SECTION_ALPHA


def _booklet_sections(tagger, records, labels: list[Labels]) -> None:
    questions = sorted(((r.number, l) for r, l in zip(records, labels) if isinstance(r, Question)),
                       key=lambda x: x[0])
    tops = [l.primary("specialty") for _, l in questions]
    categories = [t["path_ids"][0] if t else None for t in tops]
    if not sectioned(categories):
        return
    for i, (_, l) in enumerate(questions):
        near = [j for j in range(max(0, i - SECTION_WINDOW), min(len(questions), i + SECTION_WINDOW + 1))
                if j != i and tops[j]]
        votes: dict[str, float] = {}
        for j in near:
            votes[categories[j]] = votes.get(categories[j], 0.0) + tops[j]["confidence"]
        total = sum(votes.values())
        if not total:
            continue
        own = {}
        for label in l.facets.get("specialty") or []:
            own.setdefault(label["path_ids"][0], label)
        score = {c: (own[c]["confidence"] if c in own else 0.0) + SECTION_WEIGHT * votes.get(c, 0.0) / total
                 for c in set(own) | set(votes)}
        best = max(score, key=score.get)
        if best == categories[i]:
            continue
        leaves: dict[str, float] = {}
        for j in near:
            if categories[j] == best:
                leaves[tops[j]["id"]] = leaves.get(tops[j]["id"], 0.0) + tops[j]["confidence"]
        leaf = max(leaves, key=leaves.get) if leaves else best
        first, last = questions[near[0]][0], questions[near[-1]][0]
        why = f"questions {first}-{last} around it are mostly {tagger.taxonomy.facets['specialty'].nodes[leaf].name}"
        confidence = round(min(0.9, score[best] / sum(score.values())), 3)
        if best in own:
            moved = dict(own[best], confidence=confidence,
                         evidence=own[best]["evidence"] + [{"field": "booklet", "text": why, "start": 0, "end": 0}])
            rest = [x for x in l.facets["specialty"] if x is not own[best]]
        else:
            moved = _stored(tagger.fixed_label("specialty", leaf, why, confidence=confidence, how="booklet"))
            rest = l.facets.get("specialty") or []
        l.facets["specialty"] = [moved] + rest


def _add_recall_labels(extra, records, labels: list[Labels], fields: list[dict[str, str]]) -> None:
    """A recall tagger's (LLM, embedding) label where the lexicon found nothing; a second candidate
    where they disagree on the category."""
    suggested = extra.tag_many(fields)
    for record, l, found in zip(records, labels, suggested):
        l.taggers.append(f"{extra.label}-{extra.version}")
        for facet_name, label in found.items():
            if facet_name == "modality" and (getattr(record, "kind", None) == "table" or
                                             (isinstance(record, Question) and not record.images)):
                continue
            have = l.facets.get(facet_name) or []
            if not have:
                l.facets[facet_name] = [_stored(label)]
            elif all(h["path_ids"][0] != label.id for h in have):
                l.facets[facet_name] = have + [_stored(label)]


def tag_workspace(ws: Workspace, force: bool = False, tagger: LexiconTagger | None = None,
                  recall: tuple = ()) -> list[TagResult]:
    """``recall`` taggers (taxonomy.embedding_tagger, taxonomy.llm_tagger) add labels the lexicon missed."""
    tagger = tagger or LexiconTagger()
    version = f"{tagger.name}-{tagger.version}+{tagger.taxonomy.version}"
    for extra in recall:
        version += f"+{extra.label}-{extra.version}:{extra.fingerprint}"
    results = []
    for source, done in ws.stage_sources(STAGE, version, force, after=UPSTREAM):
        sha = source.sha256
        if done is not None:
            results.append(TagResult(source.filename, "skipped", done.counts.get("labels", 0), done.counts))
            continue
        with ws.document(STAGE, sha, kinds=("labels",), after=UPSTREAM) as out:
            records = list(ws.records("figure", sha)) + list(ws.records("question", sha))
            earlier = earlier_stems([r for r in records if isinstance(r, Question)])
            fields = [record_fields(r, source.title, earlier.get(r.id, "")) for r in records]
            labels = [label_record(tagger, r, f, _picture(ws, r)) for r, f in zip(records, fields)]
            _booklet_profession(tagger, records, labels)
            _booklet_sections(tagger, records, labels)
            if source.kind == "book":
                _document_majority(tagger, labels, "specialty")
                _document_majority(tagger, labels, "anatomy", category=True, only=_shows_the_body)
            for extra in recall:
                _add_recall_labels(extra, records, labels, fields)
            out.put_records(labels)
            counts = {"labels": len(labels)}
            counts.update({f"with_{facet}": sum(1 for l in labels if l.facets.get(facet))
                           for facet in tagger.taxonomy.facets})
            out.commit(version, counts)
        results.append(TagResult(source.filename, "done", len(labels), counts))
    return results
