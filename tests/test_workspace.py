import json
import multiprocessing as mp
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.pipeline import ExtractOptions, extract_one
from builder.records import Figure
from builder.workspace import Workspace, WorkspaceError

from conftest import corpus_file


def test_new_workspace_has_marker_and_refuses_foreign_folder(tmp_path):
    ws = Workspace.open(tmp_path / "w")
    assert json.loads((ws.root / "workspace.json").read_text())["format"] == 1
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not a workspace"):
        Workspace.open(foreign)
    with pytest.raises(WorkspaceError, match="not a workspace"):
        Workspace.open(tmp_path / "missing", create=False)


def test_failure_inside_a_document_leaves_nothing_behind(tmp_path, demo_pdf):
    ws = Workspace.open(tmp_path / "w")
    with pytest.raises(RuntimeError):
        with ws.document("extract", "b" * 64, kinds=("figure",)) as out:
            out.put_image("x.png", b"png")
            raise RuntimeError("crash mid-document")
    assert not (ws.root / "images" / "extract" / ("b" * 64)).exists()
    assert not (ws.root / "records" / "figure" / f"{'b' * 64}.jsonl").exists()
    assert not ws.is_done("extract", "b" * 64, "v1")
    assert not any((ws.root / ".staging").iterdir())


def test_rerun_skips_documents_done_at_the_same_version(tmp_path, demo_pdf):
    ws = Workspace.open(tmp_path / "w")
    first = extract_one(ws, demo_pdf, ExtractOptions())
    assert first.status == "done" and first.figures == 3 and first.tables == 1
    marker = ws.done_marker("extract", first.sha256)
    again = extract_one(ws, demo_pdf, ExtractOptions())
    assert again.status == "skipped" and (again.figures, again.tables) == (3, 1)
    assert ws.done_marker("extract", first.sha256).finished_at == marker.finished_at
    other_dpi = extract_one(ws, demo_pdf, ExtractOptions(dpi=100))
    assert other_dpi.status == "done"
    records = list(ws.records("figure"))
    assert len(records) == 4 and all(r.image.dpi == 100 for r in records)
    for r in records:
        assert (ws.root / r.image.path).is_file()


def test_a_document_done_again_upstream_is_done_again_downstream(tmp_path, demo_pdf):
    from builder.generation import generate_workspace
    from builder.tagging import tag_workspace
    ws = Workspace.open(tmp_path / "w")
    sha = extract_one(ws, demo_pdf, ExtractOptions()).sha256
    assert [r.status for r in tag_workspace(ws)] == ["done"]
    assert [r.status for r in generate_workspace(ws)] == ["done"]
    assert [r.status for r in tag_workspace(ws)] == ["skipped"]
    assert [r.status for r in generate_workspace(ws)] == ["skipped"]
    tagged = ws.done_marker("tag", sha)
    assert tagged.inputs == {"extract": ws.done_marker("extract", sha).run}
    # extracted again (a new extractor, other options): its labels and items are stale, so redone
    assert extract_one(ws, demo_pdf, ExtractOptions(dpi=100)).status == "done"
    assert [r.status for r in generate_workspace(ws)] == ["skipped"]     # its labels have not changed yet
    assert [r.status for r in tag_workspace(ws)] == ["done"]
    assert ws.done_marker("tag", sha).run != tagged.run
    assert [r.status for r in generate_workspace(ws)] == ["done"]
    assert ws.done_marker("generate", sha).inputs == {"tag": ws.done_marker("tag", sha).run}
    items = list(ws.records("item"))
    assert items and all(ws.path(p).is_file() for i in items for p in i.images)
    # tagged again with another tagger: the items are generated again
    assert [r.status for r in tag_workspace(ws, force=True)] == ["done"]
    assert [r.status for r in generate_workspace(ws)] == ["done"]


def _extract_in_process(root: str, pdf: str, queue) -> None:
    ws = Workspace.open(root)
    queue.put(extract_one(ws, Path(pdf), ExtractOptions()).status)


def test_two_runs_on_one_workspace_do_not_corrupt_it(tmp_path):
    pdf = corpus_file("art_clinsci_2014_ace_inhibitors_ccby.pdf")
    root = tmp_path / "w"
    Workspace.open(root)
    q = mp.get_context("fork").Queue()
    procs = [mp.get_context("fork").Process(target=_extract_in_process, args=(str(root), str(pdf), q))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    statuses = sorted(q.get(timeout=5) for _ in procs)
    assert statuses == ["done", "skipped"]
    ws = Workspace.open(root)
    figs = list(ws.records("figure"))
    assert len(figs) == len({f.id for f in figs}) >= 10
    lines = (root / "records" / "figure").glob("*.jsonl")
    for f in lines:
        for line in f.read_text().splitlines():
            Figure.from_dict(json.loads(line))


def test_killed_run_resumes_without_redoing_finished_documents(tmp_path):
    """kill -9 in the middle of a folder run; the rerun skips what was committed and finishes the rest."""
    small = corpus_file("art_jmcr2025_endophthalmitis_ophtho_ccby.pdf")
    big = corpus_file("tb_neuroanatomy_oer_salemstate_ccbysa.pdf")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").symlink_to(small)
    (folder / "b.pdf").symlink_to(big)
    root = tmp_path / "w"
    proc = subprocess.Popen([sys.executable, "-m", "builder.cli", "extract", str(folder), "-w", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done_dir = root / "done" / "extract"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (done_dir.is_dir() and any(done_dir.glob("*.json"))):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    markers = list(done_dir.glob("*.json"))
    assert len(markers) == 1, "the first document should be committed before the kill"
    first_done = json.loads(markers[0].read_text())["finished_at"]
    ws = Workspace.open(root)  # removes the dead run's staging folder
    assert not any((root / ".staging").iterdir())
    from conftest import run_builder
    rerun = run_builder("extract", str(folder), "-w", str(root), "--json", check=True)
    docs = {Path(d["path"]).name: d["status"] for d in json.loads(rerun.stdout)["documents"]}
    assert docs == {"a.pdf": "skipped", "b.pdf": "done"}
    assert json.loads(markers[0].read_text())["finished_at"] == first_done
    assert len(ws.status()["stages"]["extract"]["versions"]) == 1
