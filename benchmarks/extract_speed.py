"""Speed and memory of `builder extract` against the raw PyMuPDF floor, in one process.

    python benchmarks/extract_speed.py [--corpus ../shared/corpus/dev] [--long-pages 1000]

The floor is what any PyMuPDF-based extractor must at least do: get_text("dict"), get_image_info()
and get_bboxlog() on every page. Ours is the whole extract stage into a fresh workspace (figure
detection, PNG crops, records, commit). Memory: peak resident-set growth over each phase, sampled;
then a long book made by repeating a real book's pages, read at a quarter and at full length, to
show whether memory grows with book length.
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pymupdf

from builder.pipeline import ExtractOptions, extract_one
from builder.workspace import Workspace

from corpus import DEFAULT_CORPUS


class PeakRss:
    """Highest RSS seen while the block runs, above the RSS when it started (MiB)."""

    def __init__(self, interval: float = 0.005):
        self.proc, self.interval = psutil.Process(), interval

    def __enter__(self):
        gc.collect()
        self.start = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def floor(paths: list[Path], pages: int | None = None) -> int:
    n = 0
    for path in paths:
        with pymupdf.open(path) as doc:
            for page in doc:
                if pages is not None and n >= pages:
                    return n
                page.get_text("dict")
                page.get_image_info()
                page.get_bboxlog()
                n += 1
    return n


def ours(paths: list[Path], root: Path, options: ExtractOptions) -> int:
    ws = Workspace.open(root)
    n = 0
    for path in paths:
        result = extract_one(ws, path, options)
        if result.status != "done":
            raise SystemExit(f"extract failed: {result.error}")
        n += result.pages
    return n


def _long_run(pdf: str, root: str, n_pages: int) -> tuple[float, float]:
    t = time.perf_counter()
    ours([Path(pdf)], Path(root), ExtractOptions(ocr="never", pages=f"1-{n_pages}"))
    speed = n_pages / (time.perf_counter() - t)
    return speed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def long_book(src: Path, pages: int, out: Path) -> Path:
    with pymupdf.open(src) as book, pymupdf.open() as long:
        while long.page_count < pages:
            take = min(book.page_count, pages - long.page_count)
            long.insert_pdf(book, from_page=0, to_page=take - 1)
        long.save(out, garbage=1)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--long-pages", type=int, default=1000)
    args = ap.parse_args(argv)
    books = sorted(p for p in args.corpus.glob("*.pdf") if (args.corpus / f"{p.stem}.figures.json").exists())
    if not books:
        print(f"no books with ground truth in {args.corpus}", file=sys.stderr)
        return 2
    options = ExtractOptions(ocr="never")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor(books[:1], 5)  # warm-up: imports and MuPDF initialisation
        with PeakRss() as m_floor:
            t = time.perf_counter()
            n_floor = floor(books)
            s_floor = time.perf_counter() - t
        with PeakRss() as m_ours:
            t = time.perf_counter()
            n_ours = ours(books, tmp / "ws", options)
            s_ours = time.perf_counter() - t
        print(f"{len(books)} books and articles, {n_floor} pages")
        print(f"PyMuPDF floor : {n_floor / s_floor:7.1f} pages/s  peak RSS +{m_floor.growth_mib:6.1f} MiB")
        print(f"builder extract: {n_ours / s_ours:7.1f} pages/s  peak RSS +{m_ours.growth_mib:6.1f} MiB")

        base = max(books, key=lambda p: pymupdf.open(p).page_count)
        big = long_book(base, args.long_pages, tmp / "long.pdf")
        quarter = max(1, args.long_pages // 4)
        ctx = multiprocessing.get_context("spawn")  # a fresh process each: peak RSS of that run alone
        with ctx.Pool(1, maxtasksperchild=1) as pool:
            for n_pages in (quarter, args.long_pages):
                speed, peak = pool.apply(_long_run, (str(big), str(tmp / f"ws-long-{n_pages}"), n_pages))
                print(f"long book ({base.name} repeated), {n_pages:5d} pages: {speed:7.1f} pages/s  "
                      f"peak RSS {peak:6.1f} MiB (whole process)")
    ratio = (n_ours / s_ours) / (n_floor / s_floor)
    print(f"extract pages/s = {n_ours / s_ours:.1f} (ratio to PyMuPDF floor = {ratio:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
