"""docs/catalog.md, the list of Kie's image models with their status here, names every model
the catalog serves, and names no model as catalogued that the catalog lacks."""

from __future__ import annotations

import re
from pathlib import Path

from imagegate.catalog import all_models, get_model

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalog.md"


def rows() -> list[str]:
    return [line for line in DOC.read_text().splitlines() if line.startswith("| `")]


def test_every_catalogued_model_is_listed() -> None:
    listed = {name for row in rows() for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
    missing = [spec.name for spec in all_models() if spec.name not in listed]
    assert not missing, f"docs/catalog.md does not list {missing}"


def test_a_row_called_not_catalogued_is_not_in_the_catalog() -> None:
    for row in rows():
        names = re.findall(r"`([^`]+)`", row.split("|")[1])
        if "not catalogued" in row.split("|")[5]:
            assert all(get_model(name) is None for name in names), row
        else:
            assert all(get_model(name) is not None for name in names), row
