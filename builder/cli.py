"""The `builder` command line.

Exit codes: 0 all went well; 1 some inputs failed (the others were processed); 2 bad usage.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from builder import __version__
from builder.workspace import Workspace, WorkspaceError

DEFAULT_WORKSPACE = Path("outputs/default")

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="MedBench Builder: medical books and exam PDFs in, reviewed benchmark datasets out.")
err = Console(stderr=True)
out = Console()

WorkspaceOpt = typer.Option(DEFAULT_WORKSPACE, "--workspace", "-w", envvar="BUILDER_WORKSPACE",
                            help="Workspace folder (created if missing).")
JsonOpt = typer.Option(False, "--json", help="Print a machine-readable summary on stdout.")
LlmUrlOpt = typer.Option(None, "--llm-url", envvar="MEDBENCH_LLM_BASE_URL",
                         help="Base URL of an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8093/v1.")
LlmModelOpt = typer.Option(None, "--llm-model", envvar="MEDBENCH_LLM_MODEL", help="Model name at that endpoint.")
LlmKeyOpt = typer.Option(None, "--llm-key", envvar="MEDBENCH_LLM_API_KEY",
                         help="API key (default: $OPENAI_API_KEY, or none for a local server).", show_default=False)
ConcurrencyOpt = typer.Option(4, "--concurrency", min=1, max=64, help="LLM requests in flight at once.")
StructuredOpt = typer.Option("auto", "--llm-structured", help="How to ask for JSON: auto (probe the server), "
                             "json_schema, json_object_schema (llama.cpp), json_object, prompt.")
MaxTokensOpt = typer.Option(400, "--llm-max-tokens", min=1, help="Most tokens per LLM answer (a cut-off answer is invalid).")
PriceOpt = typer.Option((0.0, 0.0), "--price", help="Price per million prompt and completion tokens, for the cost report.")


def print_json(data) -> None:
    """The one format of every `--json` summary: indented, non-ASCII kept readable."""
    print(json.dumps(data, ensure_ascii=False, indent=1))


def say(message: str) -> None:
    """One diagnostic line on stderr, never wrapped (scripts grep these)."""
    print(message, file=sys.stderr, flush=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"builder {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    pass


def _open_llm(ws: Workspace, url, model, key, concurrency=4, structured="auto", price=(0.0, 0.0), max_tokens=400):
    """The LLM client the options describe, answers cached in the workspace; a usage error if incomplete."""
    from builder.generation import open_llm
    from builder.llm import MODES, LLMConfig, LLMError
    if structured != "auto" and structured not in MODES:
        raise typer.BadParameter(f"use auto or one of {', '.join(MODES)}", param_hint="--llm-structured")
    try:
        config = LLMConfig.from_env(url, model, key, concurrency=concurrency, structured=structured,
                                    price_in=price[0], price_out=price[1], max_tokens=max_tokens)
    except LLMError as exc:
        say(f"error: {exc}")
        raise typer.Exit(2)
    return open_llm(ws, config)


def _llm_summary(report: dict) -> str:
    return (f"LLM {report['model']} at {report['base_url']} ({report['mode'] or 'not asked'}): {report['requests']} requests, "
            f"{report['cached']} from cache, {report['prompt_tokens']}+{report['completion_tokens']} tokens, "
            f"{report['transport_retries']} retries, {report['rejected_jobs']} rejected, cost {report['cost']:.4f}")


def _open_workspace(path: Path, create: bool = True) -> Workspace:
    try:
        return Workspace.open(path, create=create)
    except WorkspaceError as exc:
        say(f"error: {exc}")
        raise typer.Exit(2)


@app.command()
def extract(
    paths: List[Path] = typer.Argument(..., help="PDF files, or folders to search for PDFs."),
    workspace: Path = WorkspaceOpt,
    dpi: int = typer.Option(150, "--dpi", min=36, max=600, help="Resolution of the figure crops."),
    pages: Optional[str] = typer.Option(None, "--pages", help="Pages to read, e.g. 1-20,25 (default: all)."),
    key: List[Path] = typer.Option([], "--key", help="Answer-key PDF of an exam booklet; repeat it for a "
                                   "corrections key, which overrides the earlier one."),
    kind: str = typer.Option("auto", "--kind", help="auto (detect), book (figures and tables) or exam (questions)."),
    ocr: str = typer.Option("auto", "--ocr", help="OCR: auto (scanned documents), always, never."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Document language, ISO (pt, en, zh-TW) or Tesseract "
                                       "(por, eng, chi_tra, eng+por) code; for OCR and question metadata. "
                                       "Without it, scans are read as English, or as Chinese where Tesseract "
                                       "finds Chinese script."),
    license: Optional[str] = typer.Option(None, "--license", help="Licence of these documents, recorded on the source."),
    force: bool = typer.Option(False, "--force", help="Redo documents already extracted."),
    debug_render: bool = typer.Option(False, "--debug-render",
                                      help="Write page images with every candidate box drawn (under debug/)."),
    contact_sheet: bool = typer.Option(True, "--contact-sheet/--no-contact-sheet",
                                       help="Write reports/contact-sheet.html."),
    as_json: bool = JsonOpt,
) -> None:
    """Extract figures, tables, captions and citing paragraphs from books and articles, or
    multiple-choice questions with their official answers from exam booklets."""
    from builder import contact_sheet as sheet
    from builder.pipeline import ExtractOptions, extract_documents
    from extractors.pdf_document import parse_pages

    if ocr not in ("auto", "always", "never"):
        raise typer.BadParameter("use auto, always or never", param_hint="--ocr")
    if kind not in ("auto", "book", "exam"):
        raise typer.BadParameter("use auto, book or exam", param_hint="--kind")
    if key and kind == "book":
        raise typer.BadParameter("an answer key goes with an exam booklet, not --kind book", param_hint="--key")
    try:
        parse_pages(pages, 1)  # validates the syntax only
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pages")
    ws = _open_workspace(workspace)
    options = ExtractOptions(dpi=dpi, pages=pages, ocr=ocr, language=lang, license=license, force=force,
                             debug_render=debug_render, kind=kind, keys=list(key))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
        task = None

        def on_start(path: Path, n_pages: int) -> None:
            nonlocal task
            if task is not None:
                progress.remove_task(task)
            task = progress.add_task(path.name[:40], total=n_pages or None)

        results = extract_documents(ws, list(paths), options, on_start=on_start,
                                    on_page=lambda n: progress.advance(task, n))
    sheet_path = sheet.write(ws) if contact_sheet and any(r.status != "failed" for r in results) else None
    failed = [r for r in results if r.status == "failed"]
    for r in results:
        for w in r.warnings:
            say(f"warning: {w}")
    for r in failed:
        say(f"error: {r.error}")
    if as_json:
        print_json({"workspace": str(ws.root), "contact_sheet": sheet_path,
                    "documents": [asdict(r) for r in results]})
    else:
        table = Table(title=f"builder extract → {ws.root}", title_justify="left")
        numeric = ("pages", "figures", "tables", "questions")
        for col in ("document", "kind", "status") + numeric:
            table.add_column(col, justify="right" if col in numeric else "left")
        for r in results:
            colour = {"done": "green", "skipped": "cyan", "failed": "red"}[r.status]
            table.add_row(Path(r.path).name, r.kind or "-", f"[{colour}]{r.status}[/{colour}]", str(r.pages),
                          str(r.figures), str(r.tables), str(r.questions))
        out.print(table)
        if sheet_path:
            out.print(f"contact sheet: {sheet_path}", highlight=False)
        if debug_render:
            out.print(f"debug pages: {ws.path('debug')}", highlight=False)
    if not results:
        say("error: no PDF files found in the given paths")
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(1)


@app.command()
def status(workspace: Path = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Summarise a workspace: sources, records per kind, stages done, errors."""
    ws = _open_workspace(workspace, create=False)
    s = ws.status()
    if as_json:
        print_json(s)
        return
    out.print(f"workspace {s['workspace']}", highlight=False)
    out.print(f"  sources: {s['sources']} documents, {s['pages']} pages "
              f"({', '.join(f'{v} {k}' for k, v in s['source_kinds'].items()) or 'none'})")
    for kind, n in s["records"].items():
        extra = (" (" + ", ".join(f"{v} {k}s" for k, v in s["figure_kinds"].items()) + ")") if kind == "figure" else ""
        out.print(f"  {kind} records: {n}{extra}")
    for stage, info in s["stages"].items():
        out.print(f"  stage {stage}: {info['documents_done']} documents done "
                  f"(versions: {', '.join(info['versions'])})", highlight=False)
    for e in s["errors"]:
        out.print(f"  [red]failed[/red] {e['stage']}: {e['error']}", highlight=False)


@app.command()
def tag(workspace: Path = WorkspaceOpt, force: bool = typer.Option(False, "--force", help="Tag again."),
        tagger: str = typer.Option("lexicon", "--tagger", help="lexicon (offline default), optionally with "
                                   "recall taggers that add what it missed: lexicon+embedding, lexicon+llm, "
                                   "lexicon+embedding+llm."),
        llm_url: Optional[str] = LlmUrlOpt, llm_model: Optional[str] = LlmModelOpt,
        llm_key: Optional[str] = LlmKeyOpt, concurrency: int = ConcurrencyOpt,
        structured: str = StructuredOpt, price: tuple[float, float] = PriceOpt,
        max_tokens: int = MaxTokensOpt, as_json: bool = JsonOpt) -> None:
    """Label every figure and question with the taxonomy (modality, anatomy, specialty, profession)."""
    from builder.llm import LLMError
    from builder.tagging import tag_workspace
    parts = tagger.split("+")
    if parts[0] != "lexicon" or not set(parts[1:]) <= {"embedding", "llm"} or len(set(parts)) != len(parts):
        raise typer.BadParameter("use lexicon, lexicon+embedding, lexicon+llm or lexicon+embedding+llm",
                                 param_hint="--tagger")
    ws = _open_workspace(workspace, create=False)
    recall, llm = [], None
    if "embedding" in parts:
        from taxonomy.embedding_tagger import EmbeddingTagger
        from taxonomy.minilm import EmbeddingUnavailable
        try:
            recall.append(EmbeddingTagger())
        except EmbeddingUnavailable as exc:
            say(f"error: {exc}")
            raise typer.Exit(2)
    if "llm" in parts:
        from taxonomy.llm_tagger import LLMTagger
        llm = _open_llm(ws, llm_url, llm_model, llm_key, concurrency, structured, price, max_tokens)
        recall.append(LLMTagger(llm))
    try:
        results = tag_workspace(ws, force=force, recall=tuple(recall))
    except LLMError as exc:
        say(f"error: {exc}")
        raise typer.Exit(1)
    if as_json:
        print_json({"documents": [asdict(r) for r in results], "llm": llm.report() if llm else None})
        return
    table = Table(title=f"builder tag → {ws.root}", title_justify="left")
    for col in ("document", "status", "records", "modality", "anatomy", "specialty", "profession"):
        table.add_column(col, justify="left" if col in ("document", "status") else "right")
    for r in results:
        got = r.labelled or {}
        table.add_row(r.source, r.status, str(r.records),
                      *(str(got.get(f"with_{f}", "-")) for f in ("modality", "anatomy", "specialty", "profession")))
    out.print(table)
    if llm:
        out.print(_llm_summary(llm.report()), highlight=False)


@app.command()
def stats(workspace: Path = WorkspaceOpt, as_json: bool = JsonOpt,
          charts: bool = typer.Option(True, "--charts/--no-charts", help="Write reports/stats-<facet>.png.")) -> None:
    """Per-facet label distributions, printed and drawn as bar charts."""
    from builder.stats import distributions, write_charts
    ws = _open_workspace(workspace, create=False)
    result = distributions(ws)
    if not result["records"]:
        say(f"error: {ws.root}: no labels yet; run `builder tag -w {ws.root}` first")
        raise typer.Exit(1)
    result["charts"] = write_charts(ws, result) if charts else []
    if as_json:
        print_json(result)
        return
    from builder.tagging import LOW_CONFIDENCE
    for facet, info in result["facets"].items():
        table = Table(title=f"{facet}: {info['labelled']}/{result['records']} labelled ({info['coverage']:.0%}), "
                            f"{info['to_check']} to check", title_justify="left")
        table.add_column("category")
        table.add_column("records", justify="right")
        table.add_column("to check", justify="right")
        for name, n in info["categories"].items():
            table.add_row(name, str(n), str(info["categories_to_check"].get(name, 0)))
        out.print(table)
    out.print(f"to check: labels with a confidence under {LOW_CONFIDENCE}; `builder review push` marks them "
              "for the reviewer", highlight=False)
    for path in result["charts"]:
        out.print(f"chart: {path}", highlight=False)


@app.command()
def generate(workspace: Path = WorkspaceOpt,
             generator: str = typer.Option("template", "--generator", help="template (offline default) or llm."),
             options: int = typer.Option(4, "--options", min=2, max=10, help="Options per VQA item."),
             seed: int = typer.Option(0, "--seed", help="Seed for distractors and shuffling."),
             types: Optional[str] = typer.Option(None, "--types", help="Comma-separated question types "
                                                 "(default: all the generator builds)."),
             force: bool = typer.Option(False, "--force", help="Generate again."),
             answerability: bool = typer.Option(False, "--answerability", help="Also run the text-only "
                                                "answerability check (needs an LLM)."),
             declined: str = typer.Option("drop", "--declined", help="A question the LLM itself says its text "
                                          "does not support: drop it, or flag it for review."),
             llm_url: Optional[str] = LlmUrlOpt, llm_model: Optional[str] = LlmModelOpt,
             llm_key: Optional[str] = LlmKeyOpt, concurrency: int = ConcurrencyOpt,
             structured: str = StructuredOpt, price: tuple[float, float] = PriceOpt,
             max_tokens: int = MaxTokensOpt, as_json: bool = JsonOpt) -> None:
    """Build benchmark items from labelled figures and exam questions, then check them (QC report)."""
    import time

    from builder.generation import SUPPORTED, TYPES, generate_workspace, qc_report
    from builder.llm import LLMError
    if generator not in SUPPORTED:
        raise typer.BadParameter(f"use {' or '.join(SUPPORTED)}", param_hint="--generator")
    wanted = tuple(t.strip() for t in types.split(",") if t.strip()) if types else SUPPORTED[generator]
    unknown = [t for t in wanted if t not in TYPES]
    if unknown:
        raise typer.BadParameter(f"unknown type {unknown[0]} (use {', '.join(TYPES)})", param_hint="--types")
    unbuilt = [t for t in wanted if t not in SUPPORTED[generator]]
    if unbuilt:
        raise typer.BadParameter(f"the {generator} generator does not build {', '.join(unbuilt)} "
                                 f"(use --generator llm)", param_hint="--types")
    if declined not in ("drop", "flag"):
        raise typer.BadParameter("use drop or flag", param_hint="--declined")
    ws = _open_workspace(workspace, create=False)
    if not list(ws.records("labels")):
        say(f"error: {ws.root}: no labels yet; run `builder tag -w {ws.root}` first")
        raise typer.Exit(1)
    llm = None
    if generator == "llm" or answerability:
        llm = _open_llm(ws, llm_url, llm_model, llm_key, concurrency, structured, price, max_tokens)
    started = time.monotonic()
    try:
        results = generate_workspace(ws, options, seed, wanted, force, generator, llm, declined=declined)
        report = qc_report(ws, llm if answerability else None)
    except LLMError as exc:
        say(f"error: {exc}")
        say(f"finished documents are kept and every answer so far is cached in {ws.path('cache/llm')}: rerun to resume")
        raise typer.Exit(1)
    seconds = time.monotonic() - started
    made = sum(r.items for r in results if r.status == "done")
    usage = llm.report() if llm else None
    if as_json:
        print_json({"documents": [asdict(r) for r in results], "qc": report, "llm": usage,
                    "seconds": round(seconds, 3), "items_per_second": round(made / seconds, 3) if seconds else None})
        return
    table = Table(title=f"builder generate ({generator}) → {ws.root}", title_justify="left")
    for col in ("document", "status", "items", "dropped", "rejected", "declined"):
        table.add_column(col, justify="left" if col in ("document", "status") else "right")
    for r in results:
        table.add_row(r.source, r.status, str(r.items), str(r.dropped), str(r.rejected), str(r.declined))
    out.print(table)
    out.print(f"items by type: {report['by_type']}; QC flags: {report['flags'] or 'none'}", highlight=False)
    if usage:
        out.print(_llm_summary(usage) + f"; {made / seconds:.2f} items/s", highlight=False)
    out.print(f"QC report: {ws.path('reports/qc.md')}", highlight=False)


@app.command()
def qc(workspace: Path = WorkspaceOpt,
       answerability: bool = typer.Option(False, "--answerability", help="Ask an LLM each picture question "
                                          "without its picture, with the options rotated; flag those it always gets right."),
       asks: int = typer.Option(3, "--asks", min=1, max=10, help="Asks per item for --answerability."),
       llm_url: Optional[str] = LlmUrlOpt, llm_model: Optional[str] = LlmModelOpt,
       llm_key: Optional[str] = LlmKeyOpt, concurrency: int = ConcurrencyOpt,
       structured: str = StructuredOpt, price: tuple[float, float] = PriceOpt,
       max_tokens: int = MaxTokensOpt, as_json: bool = JsonOpt) -> None:
    """Check all items of a workspace (duplicates across documents, letter balance) and write the QC report."""
    from builder.generation import qc_report
    from builder.llm import LLMError
    ws = _open_workspace(workspace, create=False)
    llm = _open_llm(ws, llm_url, llm_model, llm_key, concurrency, structured, price, max_tokens) if answerability else None
    try:
        report = qc_report(ws, llm, asks)
    except LLMError as exc:
        say(f"error: {exc}")
        raise typer.Exit(1)
    if as_json:
        print_json({**report, "llm": llm.report() if llm else None})
        return
    out.print(ws.path("reports/qc.md").read_text("utf-8"), highlight=False)
    if llm:
        out.print(_llm_summary(llm.report()), highlight=False)


@app.command()
def publish(version: str = typer.Option(..., "--version", help="Release version, MAJOR.MINOR.PATCH (immutable)."),
            workspace: Path = WorkspaceOpt,
            name: str = typer.Option("medbench", "--name", help="Dataset name used in the card."),
            status: str = typer.Option("accepted,edited", "--status",
                                       help="Review states to release (add 'pending' for a draft)."),
            splits: str = typer.Option("test=1.0", "--splits", help="Split shares, e.g. train=0.8,test=0.2."),
            withhold_test_answers: bool = typer.Option(False, "--withhold-test-answers",
                                                       help="Blank the test answers; keep them in a private file."),
            repo: Optional[str] = typer.Option(None, "--repo", help="Hub dataset repo, org/name (for --push)."),
            push: bool = typer.Option(False, "--push", help="Upload the release to the Hub and tag it v<version>."),
            private: bool = typer.Option(False, "--private", help="Create the Hub repo private."),
            as_json: bool = JsonOpt) -> None:
    """Build a versioned release under releases/<version>/ in the Hub's repo layout, verified by loading it
    back; with --push, upload it and tag the commit (pushing an existing release again resumes)."""
    if push:  # before huggingface_hub is imported (it reads this once): plain LFS works with every Hub server
        os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    from builder.publish import PublishError, build_release, push_release
    if push and not repo:
        raise typer.BadParameter("--push needs --repo org/name", param_hint="--repo")
    try:
        ratios = {k.strip(): float(v) for k, v in (part.split("=") for part in splits.split(",") if part.strip())}
    except ValueError:
        raise typer.BadParameter("use name=share pairs, e.g. train=0.8,test=0.2", param_hint="--splits")
    if not ratios or abs(sum(ratios.values()) - 1.0) > 1e-6:
        raise typer.BadParameter("the shares must add up to 1", param_hint="--splits")
    ws = _open_workspace(workspace, create=False)
    report: dict = {"version": version}
    try:
        if push and ws.path(f"releases/{version}").is_dir():
            report["build"] = "existing release (immutable); pushing it"
        else:
            release = build_release(ws, version, name, tuple(s.strip() for s in status.split(",") if s.strip()),
                                    ratios, withhold_test_answers)
            report.update({"path": str(release.path), "counts": release.counts,
                           "changelog": {k: (len(v) if isinstance(v, list) else v) for k, v in release.changelog.items()}})
        if push:
            report["push"] = push_release(ws, version, repo, private)
    except PublishError as exc:
        say(f"error: {exc}")
        raise typer.Exit(1)
    if as_json:
        print_json(report)
        return
    if "counts" in report:
        out.print(f"release {version} → {report['path']} (verified with datasets.load_dataset)", highlight=False)
        for config, by_split in report["counts"].items():
            out.print(f"  {config}: " + ", ".join(f"{s} {n}" for s, n in by_split.items()), highlight=False)
    if "push" in report:
        p = report["push"]
        out.print(f"  {p['status']}: {p['repo']} tag {p['tag']}", highlight=False)


review_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Human review through Label Studio: push items, pull annotations, see the state.")
app.add_typer(review_app, name="review")
UrlOpt = typer.Option(None, "--url", envvar="LABEL_STUDIO_URL", help="Label Studio URL (or LABEL_STUDIO_URL).")
TokenOpt = typer.Option(None, "--token", envvar="LABEL_STUDIO_API_KEY", show_default=False,
                        help="API token (or LABEL_STUDIO_API_KEY); never printed.")


def _review(workspace: Path, url, token, action):
    """Connect, run ``action(ws, client)``; a Label Studio problem is one error line and exit 1."""
    from annotation.client import ReviewError, connect
    ws = _open_workspace(workspace, create=False)
    try:
        return action(ws, connect(url, token))
    except ReviewError as exc:
        say(f"error: {exc}")
        raise typer.Exit(1)


@review_app.command("push")
def review_push(project: str = typer.Option(..., "--project", help="Label Studio project (created if missing)."),
                workspace: Path = WorkspaceOpt, url: Optional[str] = UrlOpt, token: Optional[str] = TokenOpt,
                as_json: bool = JsonOpt) -> None:
    """Send items that are new or changed since the last push as review tasks."""
    from annotation.review import push
    if len(project.strip()) < 3:
        raise typer.BadParameter("Label Studio needs a project name of 3 characters or more", param_hint="--project")
    result = _review(workspace, url, token, lambda ws, client: push(ws, client, project))
    if as_json:
        print_json(asdict(result))
    else:
        out.print(f"project {result.project} (id {result.project_id}): {result.sent} tasks sent "
                  f"({result.changed} for changed items), {result.unchanged} unchanged", highlight=False)


@review_app.command("pull")
def review_pull(project: str = typer.Option(..., "--project", help="Label Studio project."),
                workspace: Path = WorkspaceOpt, url: Optional[str] = UrlOpt, token: Optional[str] = TokenOpt,
                as_json: bool = JsonOpt) -> None:
    """Fetch every annotation and merge it into the workspace's review records."""
    from annotation.review import pull
    result = _review(workspace, url, token, lambda ws, client: pull(ws, client, project))
    for tid in result.deleted_tasks:
        say(f"warning: task {tid} was deleted in Label Studio; its item keeps its review state")
    if as_json:
        print_json(asdict(result))
    else:
        out.print(f"{result.tasks} tasks, {result.annotations} annotations ({result.new_annotations} new) → "
                  f"{result.reviews} reviews: {result.states}", highlight=False)


@review_app.command("status")
def review_status(workspace: Path = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Items per review state and per annotator, and agreement."""
    from annotation.review import status as review_state
    ws = _open_workspace(workspace, create=False)
    result = review_state(ws)
    if as_json:
        print_json(result)
        return
    out.print(f"{result['items']} items: {result['states']}", highlight=False)
    out.print(f"annotations per annotator: {result['annotations_per_annotator'] or 'none'}", highlight=False)
    out.print(f"mean agreement: {result['mean_agreement']}; disagreements: {len(result['disagreements'])}; "
              f"deleted tasks: {len(result['deleted_tasks'])}", highlight=False)


@app.command()
def demo(workspace: Path = typer.Option(Path("outputs/demo"), "--workspace", "-w",
                                        help="Workspace for the demo run."),
         as_json: bool = JsonOpt) -> None:
    """Write a small generated medical book and extract it: the embedded default first run."""
    from builder.demo import make_demo_book
    pdf = make_demo_book(Path(workspace).parent / "demo-book.pdf" if Path(workspace).name else Path("demo-book.pdf"))
    if not as_json:
        out.print(f"demo book written to {pdf}", highlight=False)
    extract(paths=[pdf], workspace=workspace, dpi=150, pages=None, key=[], kind="book", ocr="never", lang="en",
            license="CC0-1.0", force=False, debug_render=False, contact_sheet=True, as_json=as_json)


def main() -> None:
    import pymupdf
    pymupdf.TOOLS.mupdf_display_errors(False)  # our own messages name the file and the reason
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        app()
    except KeyboardInterrupt:
        say("interrupted: finished documents are kept; rerun the same command to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
