"""The command line as a curator uses it, on real files."""
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import corpus_file, run_builder, truth


@pytest.mark.parametrize("cmd", [[], ["extract"], ["status"], ["demo"]])
def test_help_everywhere(cmd):
    proc = run_builder(*cmd, "--help")
    assert proc.returncode == 0 and "Usage" in proc.stdout


def test_extract_real_article_with_contact_sheet_and_debug_render(tmp_path):
    name = "art_jmcr2025_probable_neuro_mri_ccbyncnd"
    pdf = corpus_file(f"{name}.pdf")
    ws = tmp_path / "w"
    proc = run_builder("extract", str(pdf), "-w", str(ws), "--debug-render", "--json", "--dpi", "100",
                       "--license", "CC BY-NC-ND 4.0", check=True)
    report = json.loads(proc.stdout)
    [doc] = report["documents"]
    gold = truth(f"{name}.figures.json")
    assert (doc["status"], doc["pages"]) == ("done", gold["pages"])
    assert (doc["figures"], doc["tables"]) == (9, 2)

    records = [json.loads(l) for l in (ws / "records" / "figure" / f"{doc['sha256']}.jsonl").read_text().splitlines()]
    assert len(records) == 11
    for rec in records:
        img = Image.open(ws / rec["image"]["path"])
        assert img.size == (rec["image"]["width"], rec["image"]["height"])
        x0, y0, x1, y1 = rec["figure_bbox"]
        assert abs(img.size[0] - (x1 - x0) * 100 / 72) <= 2
    source = json.loads((ws / "sources" / f"{doc['sha256']}.json").read_text())
    assert source["license"] == "CC BY-NC-ND 4.0" and source["pages"] == gold["pages"]

    sheet = Path(report["contact_sheet"]).read_text()
    for rec in records:
        assert rec["image"]["path"] in sheet
        assert rec["caption_text"][:40].replace("&", "&amp;") in sheet.replace("&#x27;", "'")
    pages = sorted((ws / "debug" / doc["sha256"][:12]).glob("page-*.png"))
    assert len(pages) == gold["pages"]

    status = json.loads(run_builder("status", "-w", str(ws), "--json", check=True).stdout)
    assert status["records"]["figure"] == 11 and status["figure_kinds"] == {"figure": 9, "table": 2}
    human = run_builder("status", "-w", str(ws), check=True).stdout
    assert "figure records: 11 (9 figures, 2 tables)" in human


def test_folder_argument_and_page_range(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("art_jmcr2025_endophthalmitis_ophtho_ccby.pdf", "art_pgmj_2010_hpylori_anaemia.pdf"):
        (folder / name).symlink_to(corpus_file(name))
    (folder / "notes.txt").write_text("not a pdf, ignored by folder discovery")
    proc = run_builder("extract", str(folder), "-w", str(tmp_path / "w"), "--pages", "2-3", "--json", check=True)
    docs = {Path(d["path"]).name: d for d in json.loads(proc.stdout)["documents"]}
    assert set(docs) == {"art_jmcr2025_endophthalmitis_ophtho_ccby.pdf", "art_pgmj_2010_hpylori_anaemia.pdf"}
    figs = [json.loads(l) for f in (tmp_path / "w" / "records" / "figure").glob("*.jsonl")
            for l in f.read_text().splitlines()]
    assert figs and all(2 <= f["page"] <= 3 for f in figs)
    # Fig. 1-3 of the ophthalmology case sit on pages 2-3
    assert {f["label"] for f in figs} >= {"Fig. 1", "Fig. 2", "Fig. 3"}


def test_demo_is_the_first_run_a_new_user_makes(tmp_path):
    [doc] = json.loads(run_builder("demo", "--json", cwd=tmp_path, check=True).stdout)["documents"]
    assert Path(doc["path"]).name == "demo-book.pdf"
    assert (doc["status"], doc["kind"], doc["pages"], doc["figures"], doc["tables"]) == ("done", "book", 3, 3, 1)
    again = run_builder("demo", cwd=tmp_path, check=True)
    assert re.search(r"demo-book\.pdf\s*│\s*book\s*│\s*skipped", again.stdout)
    assert (tmp_path / "outputs" / "demo" / "reports" / "contact-sheet.html").exists()
