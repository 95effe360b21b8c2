"""Bad input: each case a real file the test makes, run through the real command."""
import io
import json
import zlib
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from conftest import run_builder


def _encrypted(path: Path, demo_pdf: Path) -> Path:
    doc = pymupdf.open(demo_pdf)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    return path


def _zero_pages(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                     b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return path


@pytest.mark.parametrize("case,reason", [
    ("not_a_pdf", "not a PDF"),
    ("empty", "empty file"),
    ("encrypted", "encrypted PDF"),
    ("zero_pages", "no pages"),
    ("garbage_after_header", "corrupt or truncated"),
])
def test_bad_file_gives_one_clear_line_and_nonzero_exit(tmp_path, demo_pdf, case, reason):
    path = tmp_path / f"{case}.pdf"
    if case == "not_a_pdf":
        path.write_text("Chapter 1\nThis is a text file with a .pdf name.\n")
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "encrypted":
        _encrypted(path, demo_pdf)
    elif case == "zero_pages":
        _zero_pages(path)
    else:
        path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    ws = tmp_path / "w"
    proc = run_builder("extract", str(path), "-w", str(ws))
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and str(path) in errors[0] and reason in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((ws / "records").glob("*/*.jsonl")) if (ws / "records").exists() else True
    assert not (ws / "sources").exists() or not list((ws / "sources").iterdir())


def test_one_bad_file_does_not_stop_the_others(tmp_path, demo_pdf):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    ws = tmp_path / "w"
    proc = run_builder("extract", str(bad), str(demo_pdf), "-w", str(ws), "--json")
    assert proc.returncode == 1
    docs = {Path(d["path"]).name: d for d in json.loads(proc.stdout)["documents"]}
    assert docs["broken.pdf"]["status"] == "failed" and "broken.pdf" in docs["broken.pdf"]["error"]
    assert docs["demo-book.pdf"]["status"] == "done" and docs["demo-book.pdf"]["figures"] == 3
    status = json.loads(run_builder("status", "-w", str(ws), "--json", check=True).stdout)
    assert status["records"]["figure"] == 4
    assert [e["error"] for e in status["errors"]] == [docs["broken.pdf"]["error"]]


def test_truncated_pdf_keeps_what_is_readable_or_fails_cleanly(tmp_path, demo_pdf):
    data = demo_pdf.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    proc = run_builder("extract", str(path), "-w", str(tmp_path / "w"), "--json")
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)["documents"][0]
    if proc.returncode == 0:
        assert doc["status"] == "done" and doc["figures"] <= 3
    else:
        assert doc["status"] == "failed" and "truncated.pdf" in doc["error"]


def test_broken_page_is_skipped_and_the_rest_extracted(tmp_path, demo_pdf):
    doc = pymupdf.open(demo_pdf)
    doc.update_object(doc[1].xref, "<</Type/Page/Parent 999 0 R/MediaBox[0 0 a b]/Contents 99999 0 R/Resources 5>>")
    path = tmp_path / "badpage.pdf"
    doc.save(path)
    proc = run_builder("extract", str(path), "-w", str(tmp_path / "w"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["documents"][0]
    # page 2 holds Figure 1.2 and Table 1.1; pages 1 and 3 still give their figures
    assert (result["figures"], result["tables"]) == (2, 0)


def test_huge_embedded_image_is_cropped_at_bounded_size(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_htmlbox(pymupdf.Rect(72, 60, 520, 90), "<p>As Figure 1 shows, the picture is large.</p>")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(buf, "PNG")
    xref = page.insert_image(pymupdf.Rect(72, 100, 520, 600), stream=buf.getvalue())
    doc.update_object(xref, "<</Type/XObject/Subtype/Image/Width 60000/Height 60000/ColorSpace/DeviceRGB"
                            "/BitsPerComponent 8/Filter/FlateDecode>>")
    doc.update_stream(xref, zlib.compress(b"\x80" * 3 * 60000 * 50), compress=False)
    page.insert_htmlbox(pymupdf.Rect(72, 610, 520, 640), "<p><b>Figure 1</b> A 60000 x 60000 pixel image.</p>")
    path = tmp_path / "huge.pdf"
    doc.save(path)
    ws = tmp_path / "w"
    proc = run_builder("extract", str(path), "-w", str(ws), "--json", "--dpi", "300")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(next((ws / "records" / "figure").glob("*.jsonl")).read_text().splitlines()[0])
    assert rec["label"] == "Figure 1" and rec["image"]["width"] * rec["image"]["height"] <= 40_000_000


def test_missing_file_and_bad_options(tmp_path):
    proc = run_builder("extract", str(tmp_path / "nope.pdf"), "-w", str(tmp_path / "w"))
    assert proc.returncode == 1 and "nope.pdf: no such file" in proc.stderr
    proc = run_builder("extract", str(tmp_path / "nope.pdf"), "--pages", "9-3", "-w", str(tmp_path / "w"))
    assert proc.returncode == 2 and "bad page range" in proc.stderr
    proc = run_builder("status", "-w", str(tmp_path / "never-made"))
    assert proc.returncode == 2 and "not a workspace" in proc.stderr
