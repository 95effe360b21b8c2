"""The tag stage: taxonomy labels for every figure and question in a workspace.

Reads the extract stage's records through the workspace, writes one Labels record per figure or
question (``records/labels/<source>.jsonl``), per source document, resumable like every stage: a
document already tagged with the same taggers and taxonomy version is skipped.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from builder.records import Figure, Labels, Question
from builder.workspace import Workspace
from taxonomy.lexicon_tagger import LexiconTagger

STAGE = "tag"


@dataclass
class TagResult:
    source: str
    status: str          # done | skipped
    records: int = 0
    labelled: dict | None = None


def record_fields(record, title: str | None = None) -> dict[str, str]:
    """The text a tagger reads, by field; the field names weigh the evidence. ``title`` is the
    document's: an exam's (for the profession) or a book's or article's (for the specialty)."""
    if isinstance(record, Figure):
        return {"caption": record.caption_text, "citing": " ".join(c.text for c in record.citing[:5]),
                "document": title or ""}
    if isinstance(record, Question):
        info = record.exam or {}
        exam = " ".join(x for x in (info.get("name"), info.get("cover"), title) if x)
        return {"stem": record.stem, "options": " | ".join(o.text for o in record.options),
                "context": record.shared_context, "exam": exam}
    raise TypeError(f"cannot tag {type(record).__name__}")


def _stored(label) -> dict:
    return {k: v for k, v in asdict(label).items() if k != "facet"}


def label_record(tagger, record, title: str | None = None) -> Labels:
    facets = {facet: [_stored(label) for label in labels]
              for facet, labels in tagger.tag(record_fields(record, title)).items()}
    # what the record itself says: a table is a table; a question without a picture shows no modality
    if isinstance(record, Figure) and record.kind == "table":
        facets["modality"] = [_stored(tagger.fixed_label("modality", "mod.data_table", "the record is a table"))]
    if isinstance(record, Question) and not record.images:
        facets.pop("modality", None)
    return Labels(id=f"{record.id}-labels", record_id=record.id, record_kind=record.KIND,
                  source_sha256=record.source_sha256, taxonomy_version=tagger.taxonomy.version,
                  facets=facets, taggers=[f"{tagger.name}-{tagger.version}"])


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


def _document_specialty(tagger, labels: list[Labels]) -> None:
    """A book chapter or an article is about one field: records that name none take the specialty
    most of their document's records name (a weaker label, marked as such)."""
    votes: dict[str, float] = {}
    for l in labels:
        top = l.primary("specialty")
        if top and top["tagger"] == tagger.name:
            votes[top["id"]] = votes.get(top["id"], 0.0) + top["confidence"]
    if not votes:
        return
    best, weight = max(votes.items(), key=lambda kv: kv[1])
    share = weight / sum(votes.values())
    if share < 0.4:
        return
    label = _stored(tagger.fixed_label("specialty", best, f"the document's main specialty ({share:.0%} of its "
                                       "labelled records)", confidence=round(0.6 * share, 3), how="document"))
    for l in labels:
        if not l.facets.get("specialty"):
            l.facets["specialty"] = [label]


def _add_recall_labels(extra, records, labels: list[Labels], title: str | None) -> None:
    """A recall tagger's (LLM, embedding) label where the lexicon found nothing; a second candidate
    where they disagree on the category."""
    suggested = extra.tag_many([record_fields(r, title) for r in records])
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
    for source, done in ws.stage_sources(STAGE, version, force):
        sha = source.sha256
        if done is not None:
            results.append(TagResult(source.filename, "skipped", done.counts.get("labels", 0), done.counts))
            continue
        records = list(ws.records("figure", sha)) + list(ws.records("question", sha))
        with ws.document(STAGE, sha, kinds=("labels",)) as out:
            labels = [label_record(tagger, r, source.title) for r in records]
            _booklet_profession(tagger, records, labels)
            if source.kind == "book":
                _document_specialty(tagger, labels)
            for extra in recall:
                _add_recall_labels(extra, records, labels, source.title)
            out.put_records(labels)
            counts = {"labels": len(labels)}
            counts.update({f"with_{facet}": sum(1 for l in labels if l.facets.get(facet))
                           for facet in tagger.taxonomy.facets})
            out.commit(version, counts)
        results.append(TagResult(source.filename, "done", len(labels), counts))
    return results
