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


def record_fields(record, exam_title: str | None = None) -> dict[str, str]:
    """The text a tagger reads, by field; the field names weigh the evidence."""
    if isinstance(record, Figure):
        return {"caption": record.caption_text, "citing": " ".join(c.text for c in record.citing[:5])}
    if isinstance(record, Question):
        info = record.exam or {}
        exam = " ".join(x for x in (info.get("name"), info.get("cover"), exam_title) if x)
        return {"stem": record.stem, "options": " | ".join(o.text for o in record.options),
                "context": record.shared_context, "exam": exam}
    raise TypeError(f"cannot tag {type(record).__name__}")


def label_record(tagger, record, exam_title: str | None = None) -> Labels:
    facets = {facet: [{k: v for k, v in asdict(label).items() if k != "facet"} for label in labels]
              for facet, labels in tagger.tag(record_fields(record, exam_title)).items()}
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
        label = {k: v for k, v in asdict(tagger.profession_label(best, share, count)).items() if k != "facet"}
        for _, l in questions:
            l.facets["profession"] = [label]


def tag_workspace(ws: Workspace, force: bool = False, tagger: LexiconTagger | None = None) -> list[TagResult]:
    tagger = tagger or LexiconTagger()
    version = f"{tagger.name}-{tagger.version}+{tagger.taxonomy.version}"
    results = []
    for source in ws.sources():
        if source.kind == "answer-key":
            continue
        sha = source.sha256
        if not force and ws.is_done(STAGE, sha, version):
            marker = ws.done_marker(STAGE, sha)
            results.append(TagResult(source.filename, "skipped", marker.counts.get("labels", 0), marker.counts))
            continue
        records = list(ws.records("figure", sha)) + list(ws.records("question", sha))
        with ws.document(STAGE, sha, kinds=("labels",)) as out:
            labels = [label_record(tagger, r, source.title) for r in records]
            _booklet_profession(tagger, records, labels)
            out.put_records(labels)
            counts = {"labels": len(labels)}
            counts.update({f"with_{facet}": sum(1 for l in labels if l.facets.get(facet))
                           for facet in tagger.taxonomy.facets})
            out.commit(version, counts)
        results.append(TagResult(source.filename, "done", len(labels), counts))
    return results
