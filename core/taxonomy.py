"""The catalog's taxonomy: which codes exist and the name each one goes with (product types,
colour groups, departments, …), read from the articles of a version. A change to the live
catalog (issue 16) may only use codes the catalog knows, with their own names: a new colour
group or product type is a change to the taxonomy, made in the data and a build."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Each code column of articles.csv and the name column that goes with it.
CODE_NAMES: dict[str, str] = {
    "product_type_no": "product_type_name",
    "graphical_appearance_no": "graphical_appearance_name",
    "colour_group_code": "colour_group_name",
    "perceived_colour_value_id": "perceived_colour_value_name",
    "perceived_colour_master_id": "perceived_colour_master_name",
    "department_no": "department_name",
    "index_code": "index_name",
    "index_group_no": "index_group_name",
    "section_no": "section_name",
    "garment_group_no": "garment_group_name",
}
#: The taxonomy of a version, written by the build beside its models.
TAXONOMY_FILE = "taxonomy.json"
#: Names that hang on another code: a product type belongs to one product group.
GROUP_OF = {"product_type_no": "product_group_name"}


@dataclass(frozen=True)
class Taxonomy:
    """Per code column: each known code's name (and its group, where a column has one)."""

    names: Mapping[str, Mapping[str, str]]
    groups: Mapping[str, Mapping[str, str]]

    @classmethod
    def of(cls, articles: Iterable[Mapping[str, Any]]) -> Taxonomy:
        """The taxonomy the ``articles`` (rows with the articles.csv columns) use."""
        names: dict[str, dict[str, str]] = {c: {} for c in CODE_NAMES}
        groups: dict[str, dict[str, str]] = {c: {} for c in GROUP_OF}
        for row in articles:
            for code, name in CODE_NAMES.items():
                if row.get(code) is not None and row.get(name) is not None:
                    names[code].setdefault(str(row[code]), str(row[name]))
            for code, group in GROUP_OF.items():
                if row.get(code) is not None and row.get(group) is not None:
                    groups[code].setdefault(str(row[code]), str(row[group]))
        return cls(names, groups)

    @classmethod
    def load(cls, models_dir: Path) -> Taxonomy | None:
        """The taxonomy a build wrote beside a version's models (None: it wrote none)."""
        path = models_dir / TAXONOMY_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return cls(data["names"], data["groups"])

    def save(self, models_dir: Path) -> None:
        """Write it beside a version's models (`load` reads it)."""
        data = {"names": self.names, "groups": self.groups}
        (models_dir / TAXONOMY_FILE).write_text(json.dumps(data, sort_keys=True))

    def problems(self, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        """What is wrong with the codes and names of ``fields`` (a whole article or the fields
        of a patch), as ``(field, problem)``; empty when they agree with the catalog."""
        out: list[tuple[str, str]] = []
        for code, name in CODE_NAMES.items():
            known = self.names[code]
            if code in fields:
                value = str(fields[code])
                if value not in known:
                    out.append((code, f"{value} is not a {_label(code)} of the catalog"))
                    continue
                if name in fields and str(fields[name]) != known[value]:
                    why = f"is {fields[name]!r}, but {code} {value} is {known[value]!r}"
                    out.append((name, why))
                group = GROUP_OF.get(code)
                expected = self.groups[code].get(value) if group else None
                if group and expected is not None and str(fields.get(group, expected)) != expected:
                    why = f"is {fields[group]!r}, but {code} {value} is in {expected!r}"
                    out.append((group, why))
            elif name in fields:
                out.append((name, f"comes with its code: send {code} (the name follows from it)"))
        return out

    def names_of(self, fields: Mapping[str, Any]) -> dict[str, str]:
        """The names (and group) that go with the codes in ``fields`` (known codes only)."""
        out: dict[str, str] = {}
        for code, name in CODE_NAMES.items():
            value = str(fields[code]) if code in fields else None
            if value is not None and value in self.names[code]:
                out[name] = self.names[code][value]
                if code in GROUP_OF and value in self.groups[code]:
                    out[GROUP_OF[code]] = self.groups[code][value]
        return out


def _label(code: str) -> str:
    return code.removesuffix("_no").removesuffix("_code").removesuffix("_id").replace("_", " ")
