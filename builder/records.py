"""Record types that every stage speaks.

Each record kind has exactly one definition: a JSON Schema under ``builder/schemas/`` and the
dataclass here. ``to_dict`` validates against the schema, so nothing invalid reaches the workspace.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar

import jsonschema

Bbox = list[float]


class RecordError(ValueError):
    """A record does not match its schema."""


@lru_cache(maxsize=None)
def schema(kind: str) -> dict:
    text = resources.files("builder.schemas").joinpath(f"{kind}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(kind: str) -> jsonschema.protocols.Validator:
    s = schema(kind)
    cls = jsonschema.validators.validator_for(s)
    cls.check_schema(s)
    return cls(s, format_checker=cls.FORMAT_CHECKER)


def validate(kind: str, data: dict) -> None:
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(record)"
        raise RecordError(f"invalid {kind} record at {where}: {errors[0].message}")


def round_bbox(b) -> Bbox:
    return [round(float(v), 2) for v in b]


@dataclass
class Record:
    KIND: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        validate(self.KIND, data)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        validate(cls.KIND, data)
        return cls._build(data)

    @classmethod
    def _build(cls, data: dict[str, Any]):
        return cls(**data)


@dataclass
class Source(Record):
    KIND: ClassVar[str] = "source"
    sha256: str
    path: str
    filename: str
    pages: int
    kind: str
    added_at: str
    title: str | None = None
    license: str | None = None
    language: str | None = None
    size_bytes: int = 0


@dataclass
class Citation:
    page: int
    text: str
    bbox: Bbox


@dataclass
class ImageRef:
    path: str
    dpi: int
    width: int
    height: int
    sha256: str


@dataclass
class Provenance:
    extractor: str
    extractor_version: str
    source_sha256: str
    page: int
    ocr: bool = False
    ocr_language: str | None = None


@dataclass
class Figure(Record):
    KIND: ClassVar[str] = "figure"
    id: str
    source_sha256: str
    label: str
    kind: str
    number: str
    page: int
    caption_text: str
    caption_bbox: Bbox
    figure_bbox: Bbox
    caption_position: str
    provenance: Provenance
    panel_labels: list[str] = field(default_factory=list)
    citing: list[Citation] = field(default_factory=list)
    cited_on_pages: list[int] = field(default_factory=list)
    caption_continued_on: list[int] = field(default_factory=list)
    image: ImageRef | None = None
    section: str | None = None

    @classmethod
    def _build(cls, data):
        data = dict(data)
        data["provenance"] = Provenance(**data["provenance"])
        data["citing"] = [Citation(**c) for c in data.get("citing", [])]
        if data.get("image"):
            data["image"] = ImageRef(**data["image"])
        return cls(**data)


@dataclass
class QuestionImage(ImageRef):
    """A picture of a question: the image file, and where it sits in the booklet."""
    page: int = 1
    bbox: Bbox = field(default_factory=list)


@dataclass
class Option:
    label: str
    text: str


@dataclass
class QuestionProvenance:
    extractor: str
    extractor_version: str
    source_sha256: str
    page: int
    key_files: list[str] = field(default_factory=list)


@dataclass
class Question(Record):
    KIND: ClassVar[str] = "question"
    id: str
    source_sha256: str
    number: int
    page: int
    pages: list[int]
    stem: str
    options: list[Option]
    answer: str | list[str] | None
    answer_status: str
    provenance: QuestionProvenance
    images: list[QuestionImage] = field(default_factory=list)
    language: str | None = None
    exam: dict = field(default_factory=dict)
    answer_note: str = ""
    answer_source: str = ""
    shared_stem_with: list[int] = field(default_factory=list)
    shared_context: str = ""

    @classmethod
    def _build(cls, data):
        data = dict(data)
        data["options"] = [Option(**o) for o in data["options"]]
        data["images"] = [QuestionImage(**i) for i in data.get("images", [])]
        data["provenance"] = QuestionProvenance(**data["provenance"])
        return cls(**data)


def earlier_stems(questions: list[Question]) -> dict[str, str]:
    """For a question in an item set, the stems of the set's questions before it: "承上題，下列治療
    方法何者最有效？" is about the case the previous question told."""
    by_number = {q.number: q for q in questions}
    return {q.id: " ".join(by_number[n].stem for n in q.shared_stem_with if n < q.number and n in by_number)
            for q in by_number.values() if q.shared_stem_with}


def case_of(question: Question, earlier: dict[str, str]) -> str:
    """What a reader of this question must have read first: its item set's shared case, or where the set
    prints none (承上題 chains), the stems of the set's earlier questions."""
    return question.shared_context or earlier.get(question.id, "")


@dataclass
class Labels(Record):
    """Taxonomy labels of one figure or question; ``facets`` maps a facet to its labels, best first."""
    KIND: ClassVar[str] = "labels"
    id: str
    record_id: str
    record_kind: str
    source_sha256: str
    taxonomy_version: str
    facets: dict
    taggers: list[str]

    def primary(self, facet: str) -> dict | None:
        labels = self.facets.get(facet) or []
        return labels[0] if labels else None


@dataclass
class Item(Record):
    """A benchmark item (VQA on a figure, or an exam MCQ) with provenance, labels and QC flags."""
    KIND: ClassVar[str] = "item"
    id: str
    kind: str
    question_type: str
    question: str
    options: list[Option]
    answer: str
    images: list[str]
    source: dict
    labels: dict
    generator: dict
    license: str | None
    review_status: str
    qc: dict

    @classmethod
    def _build(cls, data):
        data = dict(data)
        data["options"] = [Option(**o) for o in data["options"]]
        return cls(**data)


@dataclass
class Review(Record):
    """What annotators did to one item; annotations of every item version are kept."""
    KIND: ClassVar[str] = "review"
    id: str
    item_id: str
    source_sha256: str
    project: str
    tasks: list[dict]
    annotations: list[dict]
    status: str
    agreement: float | None


def content_hash(item: "Item") -> str:
    """What a user or a reviewer sees of an item; a change here is a new version (an erratum)."""
    import hashlib
    import json
    payload = {"q": item.question, "o": [(o.label, o.text) for o in item.options], "a": item.answer,
               "i": item.images}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def item_id(record_id: str, question_type: str, generator: str) -> str:
    """Stable across regeneration of unchanged input."""
    import hashlib
    return "item-" + hashlib.sha256(f"{record_id}|{question_type}|{generator}".encode()).hexdigest()[:16]


def question_id(source_sha256: str, number: int) -> str:
    return f"{source_sha256[:12]}-q{number}"


def figure_id(source_sha256: str, page: int, kind: str, number: str) -> str:
    """Stable across reruns: the same document, page and label give the same id."""
    safe = "".join(ch if ch.isalnum() or ch in "._" else "_" for ch in number)
    return f"{source_sha256[:12]}-p{page}-{kind}-{safe}"


RECORD_TYPES: dict[str, type[Record]] = {"source": Source, "figure": Figure, "question": Question,
                                          "labels": Labels, "item": Item, "review": Review}
