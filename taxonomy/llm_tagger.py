"""The optional LLM tagger: a model picks each facet's category from the taxonomy's own names.

It reads the same fields as the lexicon tagger and answers one small JSON object per record (enums of
category names, so any server and any context size copes). It is for recall: in ``fill`` mode its
label is used where the lexicon found none, and where both labelled a facet but disagree, the LLM's
category is kept as a second candidate. Every label says which tagger gave it.
"""
from __future__ import annotations

from builder.llm import LLM, LLMOutputError, prompt_hash
from taxonomy.lexicon_tagger import Evidence, Label
from taxonomy.model import Taxonomy, load

NAME = "llm"
VERSION = "0.1.0"
FACETS = ("modality", "anatomy", "specialty")
NONE = "none"
SYSTEM = ("You label medical figures and exam questions for a benchmark. For each facet choose the one category "
          "that fits the text best, or \"none\" when the text does not say. modality: how the pictured image was "
          "made (none for a question without a picture); anatomy: the body system mainly concerned; specialty: the "
          "clinical department the record belongs to.")
CONFIDENCE = 0.5


class LLMTagger:
    name = NAME
    version = VERSION

    def __init__(self, llm: LLM, taxonomy: Taxonomy | None = None):
        self.llm = llm
        self.taxonomy = taxonomy or load()
        self.names = {f: {r.name: r.id for r in self.taxonomy.facets[f].roots()} for f in FACETS}
        self.schema = {"type": "object", "additionalProperties": False, "required": list(FACETS),
                       "properties": {f: {"enum": sorted(self.names[f]) + [NONE]} for f in FACETS}}

    @property
    def fingerprint(self) -> str:
        return prompt_hash(SYSTEM, self.schema)

    @property
    def label(self) -> str:
        return f"{NAME}:{self.llm.config.model}"

    def request(self, fields: dict[str, str]) -> dict:
        text = "\n".join(f"{k}: {v[:1200]}" for k, v in fields.items() if v and k != "exam")
        return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
                "schema": self.schema, "purpose": "tag"}

    def tag_many(self, records_fields: list[dict[str, str]]) -> list[dict[str, Label]]:
        """Category labels per facet for each record (empty where the model said none or failed)."""
        answers = self.llm.map_json([self.request(f) for f in records_fields])
        out = []
        for answer in answers:
            labels = {}
            if not isinstance(answer, LLMOutputError):
                for facet_name in FACETS:
                    node_id = self.names[facet_name].get(answer[facet_name])
                    if node_id:
                        facet = self.taxonomy.facets[facet_name]
                        labels[facet_name] = Label(facet_name, node_id, facet.nodes[node_id].name, facet.path(node_id),
                                                   [node_id], CONFIDENCE,
                                                   [Evidence("llm", f"{self.llm.config.model} chose this category", 0, 0)],
                                                   self.label)
            out.append(labels)
        return out
