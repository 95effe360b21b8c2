"""An HTML page a curator can eyeball: every figure with its caption and the text that cites it."""
from __future__ import annotations

import html
from collections import defaultdict

from builder.records import Figure, Source
from builder.workspace import Workspace, write_atomic

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.fig{display:flex;gap:1em;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em;margin:.8em 0}
.fig img{max-width:420px;max-height:360px;border:1px solid #eee;object-fit:contain}
.meta{font-size:.85em;color:#666}.cap{margin:.4em 0}.kind-table{border-left:4px solid #c80}
.kind-figure{border-left:4px solid #08c}blockquote{font-size:.85em;margin:.3em 0 .3em 1em;color:#444;
border-left:2px solid #ddd;padding-left:.6em}
"""


def render(figures: list[Figure], sources: dict[str, Source]) -> str:
    by_source: dict[str, list[Figure]] = defaultdict(list)
    for f in figures:
        by_source[f.source_sha256].append(f)
    parts = [f"<!doctype html><meta charset='utf-8'><title>Contact sheet</title><style>{_CSS}</style>",
             f"<h1>Contact sheet: {len(figures)} figures and tables from {len(by_source)} documents</h1>"]
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


def _excerpt(text: str, number: str, width: int = 320) -> str:
    at = text.find(number)
    if len(text) <= width or at < 0:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, at - width // 2)
    return ("…" if start else "") + text[start:start + width] + "…"


def write(ws: Workspace) -> str:
    figures = list(ws.records("figure"))
    sources = {s.sha256: s for s in ws.sources()}
    path = ws.path("reports/contact-sheet.html")
    write_atomic(path, render(figures, sources).encode("utf-8"))
    return str(path)
