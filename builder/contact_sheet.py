"""An HTML page a curator can eyeball: every figure with its caption and the text that cites it."""
from __future__ import annotations

import html
from collections import defaultdict

from builder.records import Figure, Question, Source
from builder.workspace import Workspace, write_atomic

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.fig{display:flex;gap:1em;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em;margin:.8em 0}
.fig img{max-width:420px;max-height:360px;border:1px solid #eee;object-fit:contain}
.meta{font-size:.85em;color:#666}.cap{margin:.4em 0}.kind-table{border-left:4px solid #c80}
.kind-figure{border-left:4px solid #08c}blockquote{font-size:.85em;margin:.3em 0 .3em 1em;color:#444;
border-left:2px solid #ddd;padding-left:.6em}
.opts{list-style:none;padding-left:.5em}.opts li{margin:.15em 0}.opts li.ans{background:#e3f6e3;font-weight:600}
.q-annulled{border-left:4px solid #c00}.q-missing{border-left:4px solid #999}.q-keyed,.q-multiple{border-left:4px solid #3a3}
"""


def render(figures: list[Figure], sources: dict[str, Source], questions: list[Question] = ()) -> str:
    by_source: dict[str, list[Figure]] = defaultdict(list)
    for f in figures:
        by_source[f.source_sha256].append(f)
    by_booklet: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_booklet[q.source_sha256].append(q)
    parts = [f"<!doctype html><meta charset='utf-8'><title>Contact sheet</title><style>{_CSS}</style>",
             f"<h1>Contact sheet: {len(figures)} figures and tables from {len(by_source)} documents, "
             f"{len(questions)} questions from {len(by_booklet)} exam booklets</h1>"]
    for sha, qs in sorted(by_booklet.items(), key=lambda kv: sources[kv[0]].filename if kv[0] in sources else kv[0]):
        parts.extend(_booklet(sources.get(sha), sha, qs))
    for sha, figs in sorted(by_source.items(), key=lambda kv: sources[kv[0]].filename if kv[0] in sources else kv[0]):
        src = sources.get(sha)
        name = src.filename if src else sha[:12]
        parts.append(f"<h2>{html.escape(name)} <span class='meta'>({len(figs)} items, "
                     f"{src.pages if src else '?'} pages, sha256 {sha[:12]})</span></h2>")
        for f in sorted(figs, key=lambda f: (f.page, f.figure_bbox[1])):
            img = f"<img loading='lazy' src='../{html.escape(f.image.path)}'>" if f.image else "<i>no image</i>"
            cites = "".join(f"<blockquote>p{c.page}: {html.escape(_excerpt(c.text, f.number))}</blockquote>"
                            for c in f.citing[:5])
            parts.append(
                f"<div class='fig kind-{f.kind}' id='{html.escape(f.id)}'>{img}<div>"
                f"<div class='meta'>{html.escape(f.label)} · {f.kind} · page {f.page} · caption {f.caption_position}"
                f"{' · panels ' + ', '.join(f.panel_labels) if f.panel_labels else ''}"
                f"{' · OCR' if f.provenance.ocr else ''}</div>"
                f"<p class='cap'>{html.escape(f.caption_text)}</p>"
                f"<div class='meta'>cited on pages {', '.join(map(str, f.cited_on_pages)) or 'none'}</div>{cites}"
                f"</div></div>")
    return "\n".join(parts) + "\n"


def _booklet(src: Source | None, sha: str, qs: list[Question]) -> list[str]:
    from collections import Counter
    status = Counter(q.answer_status for q in qs)
    keys = sorted({f for q in qs for f in q.provenance.key_files})
    parts = [f"<h2>{html.escape(src.filename if src else sha[:12])} <span class='meta'>({len(qs)} questions, "
             f"{', '.join(f'{v} {k}' for k, v in sorted(status.items()))}; key: {html.escape(', '.join(keys) or 'none')})"
             f"</span></h2>"]
    for q in sorted(qs, key=lambda q: q.number):
        answers = set(q.answer if isinstance(q.answer, list) else [q.answer] if q.answer else [])
        opts = "".join(f"<li{' class=ans' if o.label in answers else ''}><b>{o.label}</b> {html.escape(o.text)}</li>"
                       for o in q.options)
        imgs = "".join(f"<img loading='lazy' src='../{html.escape(i.path)}'>" for i in q.images)
        note = f" · {html.escape(q.answer_note)}" if q.answer_note else ""
        shared = f" · shares its stem with {', '.join(map(str, q.shared_stem_with))}" if q.shared_stem_with else ""
        parts.append(f"<div class='fig q-{q.answer_status}' id='{html.escape(q.id)}'><div>"
                     f"<div class='meta'>Question {q.number} · page {q.page} · answer "
                     f"{html.escape(', '.join(sorted(answers)) or '—')} ({q.answer_status}{note}){shared}</div>"
                     f"<p class='cap'>{html.escape(q.stem)}</p><ol class='opts'>{opts}</ol>{imgs}</div></div>")
    return parts


def _excerpt(text: str, number: str, width: int = 320) -> str:
    at = text.find(number)
    if len(text) <= width or at < 0:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, at - width // 2)
    return ("…" if start else "") + text[start:start + width] + "…"


def write(ws: Workspace) -> str:
    figures = list(ws.records("figure"))
    questions = list(ws.records("question"))
    sources = {s.sha256: s for s in ws.sources()}
    path = ws.path("reports/contact-sheet.html")
    write_atomic(path, render(figures, sources, questions).encode("utf-8"))
    return str(path)
