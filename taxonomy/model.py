"""The taxonomy: four facets of nodes with stable IDs, loaded from the versioned YAML files in data/.

A facet is a tree written nested, so every node has exactly one place. Loading checks the file
against ``schema.json`` and the rules the schema cannot say: IDs unique across all facets, and every
ID that was ever published still present (``ids.lock``), so labels made with an older taxonomy keep
resolving after a rename.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jsonschema
import yaml

FACETS = ("modality", "anatomy", "specialty", "profession")
LANGUAGES = ("en", "pt", "es", "zh")      # every node has terms in each
MORE_LANGUAGES = ("it",)                  # the commonest terms only


class TaxonomyError(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    facet: str
    parent: str | None
    depth: int
    terms: dict[str, tuple[str, ...]]
    abbr: tuple[str, ...] = ()
    children: tuple[str, ...] = field(default=())
    weak: tuple[str, ...] = ()


@dataclass
class Facet:
    name: str
    version: str
    nodes: dict[str, Node]

    def ancestors(self, node_id: str) -> list[Node]:
        """From the root down to the node's parent."""
        out = []
        node = self.nodes[node_id]
        while node.parent is not None:
            node = self.nodes[node.parent]
            out.append(node)
        return out[::-1]

    def path(self, node_id: str) -> list[str]:
        return [n.name for n in self.ancestors(node_id)] + [self.nodes[node_id].name]

    def roots(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent is None]

    def category(self, node_id: str) -> Node:
        """The top-level node a node sits under (itself if it is one)."""
        chain = self.ancestors(node_id)
        return chain[0] if chain else self.nodes[node_id]

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes.values() if not n.children]


@dataclass
class Taxonomy:
    facets: dict[str, Facet]

    @property
    def version(self) -> str:
        return "+".join(f"{f}-{self.facets[f].version}" for f in FACETS)

    def node(self, node_id: str) -> Node:
        for facet in self.facets.values():
            if node_id in facet.nodes:
                return facet.nodes[node_id]
        raise KeyError(node_id)


def _schema() -> dict:
    return json.loads(resources.files("taxonomy").joinpath("schema.json").read_text("utf-8"))


def parse_facet(data: dict, source: str = "<facet>") -> Facet:
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path)
        raise TaxonomyError(f"{source}: {where}: {errors[0].message}")
    nodes: dict[str, Node] = {}

    def walk(items, parent, depth):
        for item in items:
            nid = item["id"]
            if nid in nodes:
                raise TaxonomyError(f"{source}: node id {nid} appears twice")
            kids = item.get("children", [])
            nodes[nid] = Node(nid, item["name"], data["facet"], parent, depth,
                              {lang: tuple(item["terms"].get(lang, ())) for lang in LANGUAGES + MORE_LANGUAGES},
                              tuple(item.get("abbr", [])), tuple(k["id"] for k in kids), tuple(item.get("weak", [])))
            walk(kids, nid, depth + 1)

    walk(data["nodes"], None, 0)
    return Facet(data["facet"], data["version"], nodes)


def locked_ids() -> set[str]:
    text = resources.files("taxonomy").joinpath("ids.lock").read_text("utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def specialty_priors() -> dict[str, dict[str, str]]:
    text = resources.files("taxonomy").joinpath("mappings", "specialty_priors.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def load() -> Taxonomy:
    facets = {}
    seen: dict[str, str] = {}
    for name in FACETS:
        text = resources.files("taxonomy").joinpath("data", f"{name}.yaml").read_text("utf-8")
        facet = parse_facet(yaml.safe_load(text), f"taxonomy/data/{name}.yaml")
        for nid in facet.nodes:
            if nid in seen:
                raise TaxonomyError(f"node id {nid} is in both {seen[nid]} and {name}")
            seen[nid] = name
        facets[name] = facet
    missing = locked_ids() - set(seen)
    if missing:
        raise TaxonomyError(f"published ids missing from the taxonomy (never remove an id): {sorted(missing)[:5]}")
    return Taxonomy(facets)
