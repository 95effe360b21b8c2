"""Runs extraction over documents into a workspace: the executor, apart from the extraction steps.

Each document is one unit of work, keyed by the SHA-256 of its bytes and the stage version (the
extractor version plus every option that changes its output). A document already done at that
version is skipped, so an interrupted run resumes where it stopped; one that fails is reported
and the run goes on with the next.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from builder.records import (Citation, Figure, ImageRef, Option, Provenance, Question, QuestionImage,
                             QuestionProvenance, Source, figure_id, question_id, round_bbox)
from builder.workspace import DocumentWriter, Workspace, now_iso
from extractors import book, exam
from extractors.figure_renderer import render_png
from extractors.ocr import iso_code
from extractors.pdf_document import PdfError, open_pdf, parse_pages

STAGE = "extract"


@dataclass
class ExtractOptions:
    dpi: int = 150
    pages: str | None = None
    ocr: str = "auto"
    language: str | None = None
    license: str | None = None
    force: bool = False
    debug_render: bool = False
    kind: str = "auto"                      # auto | book | exam
    keys: list[Path] = field(default_factory=list)

    def version(self, key_shas: list[str] = ()) -> str:
        """The stage version: a rerun with other output-changing options (or other keys) redoes the work."""
        opts = {"dpi": self.dpi, "pages": self.pages, "ocr": self.ocr, "language": self.language,
                "kind": self.kind, "keys": list(key_shas)}
        digest = hashlib.sha256(json.dumps(opts, sort_keys=True).encode()).hexdigest()[:8]
        return f"{book.EXTRACTOR}-{book.VERSION}+{exam.EXTRACTOR}-{exam.VERSION}+{digest}"


@dataclass
class DocResult:
    path: str
    status: str                      # done | skipped | failed
    sha256: str | None = None
    kind: str | None = None          # book | exam
    pages: int = 0
    figures: int = 0
    tables: int = 0
    questions: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def discover(paths: list[Path]) -> list[Path]:
    """Files as given; folders expand to the PDFs under them, in name order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".pdf"))
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def page_count(path: Path) -> int:
    try:
        doc = open_pdf(path)
    except PdfError:
        return 0
    with doc:
        return doc.page_count


def extract_documents(ws: Workspace, paths: list[Path], options: ExtractOptions,
                      on_start: Callable[[Path, int], None] | None = None,
                      on_page: Callable[[int], None] | None = None) -> list[DocResult]:
    results = []
    for path in discover(paths):
        if on_start:
            on_start(path, page_count(path))
        results.append(extract_one(ws, path, options, on_page))
    return results


def extract_one(ws: Workspace, path: Path, options: ExtractOptions,
                on_page: Callable[[int], None] | None = None) -> DocResult:
    try:
        if not path.exists():
            raise PdfError(path, "no such file")
        sha = sha256_file(path)
        key_shas = []
        for k in options.keys:
            if not Path(k).exists():
                raise PdfError(k, "no such answer-key file")
            key_shas.append(sha256_file(Path(k)))
    except (OSError, PdfError) as exc:
        return DocResult(str(path), "failed", error=str(exc) if isinstance(exc, PdfError) else f"{path}: {exc}")
    version = options.version(key_shas)
    if not options.force and ws.is_done(STAGE, sha, version):
        return _skipped(ws, path, sha)
    try:
        with ws.document(STAGE, sha, kinds=("figure", "question")) as out:
            if not options.force and ws.is_done(STAGE, sha, version):  # another run finished it meanwhile
                return _skipped(ws, path, sha)
            doc = open_pdf(path)
            with doc:
                pages = parse_pages(options.pages, doc.page_count)
            kind = options.kind
            if kind == "auto":  # per document: a run may mix booklets and books, the key is the booklets'
                kind = "exam" if exam.looks_like_exam(
                    path, ocr_language=exam.ocr_language_for(options.language, options.ocr != "never")) else "book"
            if kind == "exam":
                result = _extract_exam(ws, out, path, sha, pages, options, key_shas, on_page)
            else:
                result = _extract_book(ws, out, path, sha, pages, options, on_page)
                if options.keys:
                    result.warnings.append(f"{path}: read as a book, so the answer key was not used "
                                           "(pass --kind exam if it is an exam booklet)")
            out.commit(version, {"kind": kind, "figure": result.figures, "table": result.tables,
                                 "question": result.questions, "pages": result.pages})
    except PdfError as exc:
        ws.record_error(STAGE, sha, str(exc))
        return DocResult(str(path), "failed", sha256=sha, error=str(exc))
    except ValueError as exc:  # a bad --pages spec
        return DocResult(str(path), "failed", sha256=sha, error=f"{path}: {exc}")
    return result


def _source(path: Path, sha: str, pages: int, kind: str, options: ExtractOptions, title=None,
            language=None) -> Source:
    return Source(sha256=sha, path=str(path.resolve()), filename=path.name, pages=pages, kind=kind,
                  added_at=now_iso(), title=title, license=options.license, language=language,
                  size_bytes=path.stat().st_size)


def _extract_book(ws, out: DocumentWriter, path: Path, sha: str, pages: list[int], options: ExtractOptions,
                  on_page) -> DocResult:
    debug_dir = ws.path(f"debug/{sha[:12]}") if options.debug_render else None
    result = book.extract_book(path, pages=pages, ocr=options.ocr, language=options.language,
                               progress=on_page, debug_dir=debug_dir)
    records = []
    for fig, png, w, h in book.render_figures(path, result.figures, options.dpi):
        fid = figure_id(sha, fig.page, fig.kind, fig.id_part)
        rel = out.put_image(f"{fid}.png", png)
        records.append(to_record(fig, fid, sha, result, ImageRef(rel, options.dpi, w, h, hashlib.sha256(png).hexdigest())))
    ws.add_source(_source(path, sha, result.page_count, "book", options, result.title,
                          iso_code(options.language or result.ocr_language)))
    out.put_records(records)
    return DocResult(str(path), "done", sha, "book", result.page_count,
                     sum(r.kind == "figure" for r in records), sum(r.kind == "table" for r in records),
                     warnings=result.warnings)


def _extract_exam(ws, out: DocumentWriter, path: Path, sha: str, pages: list[int], options: ExtractOptions,
                  key_shas: list[str], on_page) -> DocResult:
    result = exam.extract_exam(path, keys=options.keys, pages=pages, language=options.language,
                               ocr=options.ocr != "never", progress=on_page)
    records = []
    with open_pdf(path) as doc:
        for q in result.questions:
            qid = question_id(sha, q.number)
            images = []
            for k, (page, box) in enumerate(q.images, start=1):
                png, w, h = render_png(doc[page - 1], box, options.dpi)
                rel = out.put_image(f"{qid}-img{k}.png", png)
                images.append(QuestionImage(path=rel, dpi=options.dpi, width=w, height=h,
                                            sha256=hashlib.sha256(png).hexdigest(), page=page, bbox=round_bbox(box)))
            records.append(Question(
                id=qid, source_sha256=sha, number=q.number, page=q.page, pages=q.pages, stem=q.stem,
                options=[Option(label, text) for label, text in q.options], answer=q.answer,
                answer_status=q.answer_status, answer_note=q.answer_note, answer_source=q.answer_source,
                images=images, language=result.language, exam={"name": result.exam_name, "year": result.year, "cover": result.cover},
                shared_stem_with=q.shared_stem_with, shared_context=q.shared_context,
                provenance=QuestionProvenance(exam.EXTRACTOR, exam.VERSION, sha, q.page, result.key_files)))
    for k, key_sha in zip(options.keys, key_shas):
        key_path = Path(k)
        with open_pdf(key_path) as kdoc:
            ws.add_source(_source(key_path, key_sha, kdoc.page_count, "answer-key", options))
    ws.add_source(_source(path, sha, result.page_count, "exam", options, result.exam_name, result.language))
    out.put_records(records)
    return DocResult(str(path), "done", sha, "exam", result.page_count, questions=len(records),
                     warnings=result.warnings)


def _skipped(ws: Workspace, path: Path, sha: str) -> DocResult:
    marker = ws.done_marker(STAGE, sha)
    counts = marker.counts if marker else {}
    src = ws.source(sha)
    return DocResult(str(path), "skipped", sha, counts.get("kind"), src.pages if src else 0,
                     counts.get("figure", 0), counts.get("table", 0), counts.get("question", 0))


def to_record(fig: book.ExtractedFigure, fid: str, sha: str, result: book.BookExtraction,
              image: ImageRef | None) -> Figure:
    ocr = fig.page in result.ocr_pages
    return Figure(
        id=fid, source_sha256=sha, label=fig.label, kind=fig.kind, number=fig.number, page=fig.page,
        caption_text=fig.caption_text, caption_bbox=round_bbox(fig.caption_bbox),
        figure_bbox=round_bbox(fig.figure_bbox), caption_position=fig.caption_position,
        panel_labels=fig.panel_labels,
        citing=[Citation(p.page, p.text, round_bbox(p.bbox)) for p in fig.citing],
        cited_on_pages=fig.cited_on_pages, caption_continued_on=fig.caption_continued_on, image=image,
        section=fig.section,
        provenance=Provenance(book.EXTRACTOR, book.VERSION, sha, fig.page, ocr,
                              result.ocr_language if ocr else None),
    )
