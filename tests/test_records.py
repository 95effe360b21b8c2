import json
from pathlib import Path

import jsonschema
import pytest

from builder.records import Figure, Provenance, RecordError, Source, figure_id, schema

SCHEMAS = Path(__file__).resolve().parents[1] / "builder" / "schemas"


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_schema_is_valid_json_schema(path):
    s = json.loads(path.read_text())
    jsonschema.validators.validator_for(s).check_schema(s)


def _figure(**over):
    sha = "a" * 64
    data = dict(id=figure_id(sha, 3, "figure", "1.2"), source_sha256=sha, label="Fig. 1.2", kind="figure",
                number="1.2", page=3, caption_text="Fig. 1.2 A chest film.", caption_bbox=[1, 2, 3, 4],
                figure_bbox=[1, 2, 30, 40], caption_position="below",
                provenance=Provenance("book-figures", "0.1.0", sha, 3))
    data.update(over)
    return Figure(**data)


def test_figure_round_trips_through_its_schema():
    fig = _figure()
    assert Figure.from_dict(fig.to_dict()) == fig


def test_invalid_records_are_refused_with_the_field_named():
    with pytest.raises(RecordError, match="kind"):
        _figure(kind="photo").to_dict()
    with pytest.raises(RecordError, match="figure_bbox"):
        _figure(figure_bbox=[1, 2, 3]).to_dict()
    with pytest.raises(RecordError, match="sha256"):
        Source(sha256="xyz", path="/a.pdf", filename="a.pdf", pages=1, kind="book",
               added_at="2026-01-01T00:00:00+00:00").to_dict()


def test_figure_ids_are_stable_and_safe():
    sha = "0123456789ab" + "c" * 52
    assert figure_id(sha, 5, "table", "3-2") == "0123456789ab-p5-table-3-2".replace("3-2", "3_2")
    assert figure_id(sha, 5, "table", "3-2") == figure_id(sha, 5, "table", "3-2")
    assert schema("figure")["properties"]["kind"]["enum"] == ["figure", "table"]
