"""Per-facet label distributions of a workspace, as numbers and as bar charts."""
from __future__ import annotations

from collections import Counter

from builder.tagging import to_check
from builder.workspace import Workspace
from taxonomy.model import FACETS, load


def distributions(ws: Workspace) -> dict:
    taxonomy = load()
    labels = list(ws.records("labels"))
    out: dict = {"records": len(labels), "facets": {}}
    for facet in FACETS:
        tree = taxonomy.facets[facet]
        leaf: Counter = Counter()
        category: Counter = Counter()
        unsure: Counter = Counter()      # labels a reviewer should check, per category
        for rec in labels:
            top = rec.primary(facet)
            if top is None:
                continue
            leaf[top["name"]] += 1
            category[tree.category(top["id"]).name] += 1
            if to_check(top):
                unsure[tree.category(top["id"]).name] += 1
        covered = sum(category.values())
        out["facets"][facet] = {"labelled": covered, "coverage": round(covered / len(labels), 3) if labels else 0.0,
                                "to_check": sum(unsure.values()), "categories": dict(category.most_common()),
                                "categories_to_check": {name: unsure[name] for name in category if unsure[name]},
                                "leaves": dict(leaf.most_common())}
    return out


def write_charts(ws: Workspace, stats: dict) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for facet, info in stats["facets"].items():
        items = list(info["leaves"].items())[:25]
        fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(items), 3) + 1.2))
        if items:
            names, counts = zip(*items[::-1])
            ax.barh(names, counts, color="#3b7dd8")
            for y, c in enumerate(counts):
                ax.text(c, y, f" {c}", va="center", fontsize=8)
        ax.set_title(f"{facet}: {info['labelled']} of {stats['records']} records labelled "
                     f"(coverage {info['coverage']:.0%})", fontsize=10)
        ax.set_xlabel("records")
        ax.tick_params(axis="y", labelsize=8)
        fig.tight_layout()
        path = ws.path(f"reports/stats-{facet}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(str(path))
    return paths
