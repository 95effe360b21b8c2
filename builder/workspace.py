"""The embedded store that a curation run writes to.

Layout under the workspace root::

    workspace.json                  format marker
    sources/<sha256>.json           one Source record per input document
    records/<kind>/<sha256>.jsonl   the records a stage made from one document
    images/<stage>/<sha256>/*.png   image files those records point to
    done/<stage>/<sha256>.json      completion marker: stage version and counts
    errors/<stage>/<sha256>.json    the last failure of a stage on a document

Every stage reads and writes through this API only. A document's output becomes visible in one
step: images and records are written to a staging folder, then moved into place under the
workspace lock, and the completion marker is written last. A crash before that leaves only the
staging folder, which the next open removes, so a rerun redoes that document and nothing else.
Per-document locks keep two runs on one workspace from working on the same document at once.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from builder.records import RECORD_TYPES, Record, Source

FORMAT = 1


class WorkspaceError(RuntimeError):
    pass


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def dump_json(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@dataclass
class DoneMarker:
    stage: str
    sha256: str
    version: str
    finished_at: str
    counts: dict
    inputs: dict = field(default_factory=dict)    # earlier stage -> the run of it this one read
    run: str = ""                                 # this run's id, unique (finished_at may repeat in a second)


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root)

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, root: str | os.PathLike, create: bool = True) -> "Workspace":
        root = Path(root)
        marker = root / "workspace.json"
        if marker.exists():
            try:
                meta = json.loads(marker.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise WorkspaceError(f"{marker}: unreadable workspace marker ({exc})") from exc
            if meta.get("format") != FORMAT:
                raise WorkspaceError(f"{root}: workspace format {meta.get('format')} is not {FORMAT}")
        elif create:
            if root.exists() and any(root.iterdir()):
                raise WorkspaceError(f"{root}: exists and is not a workspace (no workspace.json)")
            root.mkdir(parents=True, exist_ok=True)
            write_atomic(marker, dump_json({"format": FORMAT, "created_at": now_iso()}))
        else:
            raise WorkspaceError(f"{root}: not a workspace (no workspace.json); run `builder extract` first")
        ws = cls(root)
        ws._clean_stale_staging()
        return ws

    def _clean_stale_staging(self) -> None:
        staging = self.root / ".staging"
        if not staging.is_dir():
            return
        for entry in staging.iterdir():
            pid = entry.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _pid_alive(int(pid)):
                continue
            shutil.rmtree(entry, ignore_errors=True)

    # -- sources ---------------------------------------------------------------------------
    def add_source(self, source: Source) -> Source:
        path = self.root / "sources" / f"{source.sha256}.json"
        if path.exists():
            old = Source.from_dict(json.loads(path.read_text("utf-8")))
            source.added_at = old.added_at
        data = source.to_dict()
        with self._lock():
            write_atomic(path, dump_json(data))
        return source

    def sources(self) -> list[Source]:
        folder = self.root / "sources"
        if not folder.is_dir():
            return []
        return [Source.from_dict(json.loads(p.read_text("utf-8"))) for p in sorted(folder.glob("*.json"))]

    def source(self, sha256: str) -> Source | None:
        path = self.root / "sources" / f"{sha256}.json"
        return Source.from_dict(json.loads(path.read_text("utf-8"))) if path.exists() else None

    # -- records ---------------------------------------------------------------------------
    def records(self, kind: str, sha256: str | None = None) -> Iterator[Record]:
        cls = RECORD_TYPES[kind]
        folder = self.root / "records" / kind
        files = [folder / f"{sha256}.jsonl"] if sha256 else sorted(folder.glob("*.jsonl"))
        for path in files:
            if not path.exists():
                continue
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield cls.from_dict(json.loads(line))

    def path(self, relative: str) -> Path:
        return self.root / relative

    # -- stage bookkeeping -----------------------------------------------------------------
    def done_marker(self, stage: str, sha256: str) -> DoneMarker | None:
        path = self.root / "done" / stage / f"{sha256}.json"
        if not path.exists():
            return None
        return DoneMarker(**json.loads(path.read_text("utf-8")))

    def inputs(self, sha256: str, after: tuple[str, ...]) -> dict:
        """Which run of each earlier stage ``after`` holds this document's output now."""
        return {stage: ((m.run or m.finished_at) if (m := self.done_marker(stage, sha256)) else None)
                for stage in after}

    def is_done(self, stage: str, sha256: str, version: str, after: tuple[str, ...] = ()) -> bool:
        """Done at this version, on what the earlier stages ``after`` hold now (a document extracted or
        tagged again since is stale downstream)."""
        marker = self.done_marker(stage, sha256)
        return marker is not None and marker.version == version and marker.inputs == self.inputs(sha256, after)

    def stage_sources(self, stage: str, version: str, force: bool = False,
                      kinds: tuple[str, ...] = ("book", "exam"), after: tuple[str, ...] = ()):
        """The documents a later stage works on, each with its done marker where the stage already
        finished it at this version on its inputs' current output (skip those), or None (do it)."""
        for source in self.sources():
            if source.kind not in kinds:
                continue
            fresh = not force and self.is_done(stage, source.sha256, version, after)
            yield source, (self.done_marker(stage, source.sha256) if fresh else None)

    def record_error(self, stage: str, sha256: str, message: str) -> None:
        write_atomic(self.root / "errors" / stage / f"{sha256}.json",
                     dump_json({"stage": stage, "sha256": sha256, "error": message, "at": now_iso()}))

    def errors(self, stage: str | None = None) -> list[dict]:
        folder = self.root / "errors"
        pattern = f"{stage}/*.json" if stage else "*/*.json"
        return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob(pattern))] if folder.is_dir() else []

    @contextlib.contextmanager
    def document(self, stage: str, sha256: str, kinds: tuple[str, ...],
                 after: tuple[str, ...] = ()) -> Iterator["DocumentWriter"]:
        """Exclusive, all-or-nothing output of one stage for one document.

        ``kinds`` are the record kinds the stage owns: each is rewritten on commit, empty or not,
        so a rerun that finds fewer records leaves none of the old ones behind. ``after``: the earlier
        stages whose output it reads (read them inside the block); the marker records which run of
        each it read.
        """
        with file_lock(self.root / ".locks" / f"{stage}-{sha256}.lock"):
            staging = self.root / ".staging" / f"{stage}-{sha256}-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            writer = DocumentWriter(self, stage, sha256, staging, kinds, self.inputs(sha256, after))
            try:
                yield writer
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with file_lock(self.root / ".locks" / "workspace.lock"):
            yield

    # -- summary ---------------------------------------------------------------------------
    def status(self) -> dict:
        sources = self.sources()
        stages: dict[str, dict] = {}
        done_root = self.root / "done"
        if done_root.is_dir():
            for stage_dir in sorted(p for p in done_root.iterdir() if p.is_dir()):
                markers = [json.loads(p.read_text("utf-8")) for p in stage_dir.glob("*.json")]
                versions = Counter(m["version"] for m in markers)
                stages[stage_dir.name] = {"documents_done": len(markers), "versions": dict(versions)}
        counts: dict[str, int] = {}
        rec_root = self.root / "records"
        if rec_root.is_dir():
            for kind_dir in sorted(p for p in rec_root.iterdir() if p.is_dir()):
                n = 0
                for f in kind_dir.glob("*.jsonl"):
                    with open(f, encoding="utf-8") as fh:
                        n += sum(1 for line in fh if line.strip())
                counts[kind_dir.name] = n
        figure_kinds = Counter(r.kind for r in self.records("figure")) if counts.get("figure") else Counter()
        return {
            "workspace": str(self.root),
            "sources": len(sources),
            "pages": sum(s.pages for s in sources),
            "source_kinds": dict(Counter(s.kind for s in sources)),
            "records": counts,
            "figure_kinds": dict(sorted(figure_kinds.items())),
            "stages": stages,
            "errors": [{"stage": e["stage"], "source": e["sha256"], "error": e["error"]} for e in self.errors()],
        }


class DocumentWriter:
    """Collects one document's output in a staging folder until ``commit``."""

    def __init__(self, ws: Workspace, stage: str, sha256: str, staging: Path, kinds: tuple[str, ...],
                 inputs: dict | None = None):
        self.ws, self.stage, self.sha256, self.staging = ws, stage, sha256, staging
        self.inputs = inputs or {}
        self._records: dict[str, list[dict]] = {kind: [] for kind in kinds}
        self._images: list[str] = []

    def image_relpath(self, name: str) -> str:
        return f"images/{self.stage}/{self.sha256}/{name}"

    def put_image(self, name: str, data: bytes) -> str:
        target = self.staging / "images" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self._images.append(name)
        return self.image_relpath(name)

    def put_records(self, records: list[Record]) -> None:
        for rec in records:
            if rec.KIND not in self._records:
                raise WorkspaceError(f"stage {self.stage} does not own {rec.KIND} records")
            self._records[rec.KIND].append(rec.to_dict())

    def commit(self, version: str, counts: dict | None = None) -> None:
        ws = self.ws
        staged_images = self.staging / "images"
        with ws._lock():
            final_images = ws.root / "images" / self.stage / self.sha256
            old = final_images.with_name(f".{self.sha256}.old-{os.getpid()}")
            if final_images.exists():
                os.replace(final_images, old)
            if staged_images.exists():
                final_images.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_images, final_images)
            shutil.rmtree(old, ignore_errors=True)
            for kind, rows in self._records.items():
                body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
                write_atomic(ws.root / "records" / kind / f"{self.sha256}.jsonl", body)
            marker = DoneMarker(self.stage, self.sha256, version, now_iso(),
                                counts or {k: len(v) for k, v in self._records.items()}, self.inputs,
                                uuid.uuid4().hex)
            write_atomic(ws.root / "done" / self.stage / f"{self.sha256}.json", dump_json(marker.__dict__))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(ws.root / "errors" / self.stage / f"{self.sha256}.json")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

