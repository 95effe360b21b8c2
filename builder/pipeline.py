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

from builder.records import Citation, Figure, ImageRef, Provenance, Source, figure_id, round_bbox
from builder.workspace import Workspace, now_iso
from extractors import book
from extractors.pdf_document import PdfError, open_pdf, parse_pages

STAGE = "extract"


@dataclass
class ExtractOptions:
    dpi: int = 150
    pages: str | None = None
    ocr: str = "auto"
    language: str = "eng"
    license: str | None = None
    force: bool = False
    debug_render: bool = False

    def version(self) -> str:
        """The stage version: a rerun with other output-changing options redoes the work."""
        opts = {"dpi": self.dpi, "pages": self.pages, "ocr": self.ocr, "language": self.language}
        digest = hashlib.sha256(json.dumps(opts, sort_keys=True).encode()).hexdigest()[:8]
        return f"{book.EXTRACTOR}-{book.VERSION}+{digest}"


@dataclass
class DocResult:
    path: str
    status: str                      # done | skipped | failed
    sha256: str | None = None
    pages: int = 0
    figures: int = 0
    tables: int = 0
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
    version = options.version()
    try:
        if not path.exists():
            raise PdfError(path, "no such file")
        sha = sha256_file(path)
    except (OSError, PdfError) as exc:
        return DocResult(str(path), "failed", error=str(exc) if isinstance(exc, PdfError) else f"{path}: {exc}")
    if not options.force and ws.is_done(STAGE, sha, version):
        return _skipped(ws, path, sha)
    try:
        with ws.document(STAGE, sha, kinds=("figure",)) as out:
            if not options.force and ws.is_done(STAGE, sha, version):  # another run finished it meanwhile
                return _skipped(ws, path, sha)
            doc = open_pdf(path)
            with doc:
                pages = parse_pages(options.pages, doc.page_count)
            debug_dir = ws.path(f"debug/{sha[:12]}") if options.debug_render else None
            result = book.extract_book(path, pages=pages, ocr=options.ocr, language=options.language,
                                       progress=on_page, debug_dir=debug_dir)
            source = Source(sha256=sha, path=str(path.resolve()), filename=path.name, pages=result.page_count,
                            kind="book", added_at=now_iso(), title=result.title, license=options.license,
                            size_bytes=path.stat().st_size)
            records = []
            for fig, png, w, h in book.render_figures(path, result.figures, options.dpi):
                fid = figure_id(sha, fig.page, fig.kind, fig.id_part)
                rel = out.put_image(f"{fid}.png", png)
                records.append(to_record(fig, fid, sha, result,
                                         ImageRef(rel, options.dpi, w, h, hashlib.sha256(png).hexdigest())))
            ws.add_source(source)
            out.put_records(records)
            counts = {"figure": sum(r.kind == "figure" for r in records),
                      "table": sum(r.kind == "table" for r in records), "pages": len(result.pages_read)}
            out.commit(version, counts)
    except PdfError as exc:
        ws.record_error(STAGE, sha, str(exc))
        return DocResult(str(path), "failed", sha256=sha, error=str(exc))
    except ValueError as exc:  # a bad --pages spec
        return DocResult(str(path), "failed", sha256=sha, error=f"{path}: {exc}")
    return DocResult(str(path), "done", sha, result.page_count, counts["figure"], counts["table"],
                     warnings=result.warnings)


def _skipped(ws: Workspace, path: Path, sha: str) -> DocResult:
    marker = ws.done_marker(STAGE, sha)
    counts = marker.counts if marker else {}
    src = ws.source(sha)
    return DocResult(str(path), "skipped", sha, src.pages if src else 0, counts.get("figure", 0),
                     counts.get("table", 0))


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
        provenance=Provenance(book.EXTRACTOR, book.VERSION, sha, fig.page, ocr,
                              result.ocr_language if ocr else None),
    )
