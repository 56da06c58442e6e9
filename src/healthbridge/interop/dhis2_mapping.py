"""The mapping file of a DHIS2 import: what the ids of a ``dataValueSets`` export mean
(the format is described in :mod:`healthbridge.interop.dhis2`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.json_file import json_kind, read_json, shorten
from healthbridge.interop.weekly_csv import WeeklyReferences

MAX_ERRORS = 50
MAX_MAPPING_BYTES = 16 * 1024 * 1024
MAX_ID_LENGTH = 100
MEASURES: tuple[str, ...] = ("cases", "deaths")
COMBO_RULES: tuple[str, ...] = ("sum",)
MAPPING_KEYS: tuple[str, ...] = ("dataElements", "orgUnits", "categoryOptionCombos", "description")
_DATA_ELEMENT_KEYS = ("disease", "measure", "name")
_ORG_UNIT_KEYS = ("country", "area", "name")
T = TypeVar("T")


@dataclass(frozen=True)
class DataElementMapping:
    """What a data element counts."""

    disease: str
    measure: str


@dataclass(frozen=True)
class OrgUnitMapping:
    """Where an organisation unit is: a country, and an area or ``None`` (the national total)."""

    country: str
    area: str | None


@dataclass(frozen=True)
class Dhis2Mapping:
    """A checked mapping file; ``None`` marks an id whose values are left out."""

    filename: str
    data_elements: Mapping[str, DataElementMapping | None]
    org_units: Mapping[str, OrgUnitMapping | None]
    category_option_combos: str = "sum"
    sha256: str = ""


def read_mapping(
    source: bytes | BinaryIO, *, filename: str, references: WeeklyReferences
) -> Dhis2Mapping:
    """Read and check a mapping file (see the module's docstring).

    Raises :class:`Invalid` naming ``filename``, with one :class:`FieldError` per problem whose
    field is the mapping key (``dataElements.fbfJHSPpUQD.disease``).
    """
    document, _size, digest = read_json(source, filename=filename, limit=MAX_MAPPING_BYTES)
    errors: list[FieldError] = []
    if not isinstance(document, dict):
        raise Invalid(
            f"{filename}: a mapping is a JSON object with dataElements and orgUnits; "
            "nothing was imported",
            errors=[FieldError("file", f"found {json_kind(document)}, not an object")],
        )
    for key in document:
        if key not in MAPPING_KEYS:
            errors.append(
                FieldError(
                    # An empty key still names a field, as JSON writes it.
                    shorten(key) or '""',
                    f"unknown key: the keys are {', '.join(MAPPING_KEYS)}",
                )
            )
    description = document.get("description")
    if description is not None and not isinstance(description, str):
        errors.append(FieldError("description", "must be text"))
    combos = document.get("categoryOptionCombos", "sum")
    if combos not in COMBO_RULES:
        errors.append(
            FieldError("categoryOptionCombos", f"must be one of: {', '.join(COMBO_RULES)}")
        )
    data_elements = _entries(document, "dataElements", errors, _data_element, references)
    org_units = _entries(document, "orgUnits", errors, _org_unit, references)
    if errors:
        shown = errors[:MAX_ERRORS]
        raise Invalid(
            f"{filename}: {len(shown)} problem(s) in the mapping; nothing was imported",
            errors=shown,
        )
    return Dhis2Mapping(
        filename=filename,
        data_elements=data_elements,
        org_units=org_units,
        category_option_combos=str(combos),
        sha256=digest,
    )


def _entries(
    document: dict[str, Any],
    section: str,
    errors: list[FieldError],
    check: Callable[[str, dict[str, Any], WeeklyReferences, list[FieldError]], T | None],
    references: WeeklyReferences,
) -> dict[str, T | None]:
    found: dict[str, T | None] = {}
    entries = document.get(section)
    if entries is None:
        errors.append(FieldError(section, "missing: an object of id → what it means"))
        return found
    if not isinstance(entries, dict):
        errors.append(
            FieldError(
                section, f"must be an object of id → what it means, not {json_kind(entries)}"
            )
        )
        return found
    for key, value in entries.items():
        path = f"{section}.{shorten(key)}"
        if not key.strip() or len(key) > MAX_ID_LENGTH:
            errors.append(FieldError(path, f"an id is 1 to {MAX_ID_LENGTH} characters"))
            continue
        if value is None:
            found[key] = None
            continue
        if not isinstance(value, dict):
            errors.append(FieldError(path, f"must be an object or null, not {json_kind(value)}"))
            continue
        entry = check(path, value, references, errors)
        if entry is not None:
            found[key] = entry
    return found


def _unknown_keys(
    path: str, value: dict[str, Any], allowed: tuple[str, ...], errors: list[FieldError]
) -> None:
    for key in value:
        if key not in allowed:
            errors.append(
                FieldError(
                    f"{path}.{shorten(key)}", f"unknown key: the keys are {', '.join(allowed)}"
                )
            )


def _data_element(
    path: str, value: dict[str, Any], references: WeeklyReferences, errors: list[FieldError]
) -> DataElementMapping | None:
    before = len(errors)
    _unknown_keys(path, value, _DATA_ELEMENT_KEYS, errors)
    disease = value.get("disease")
    code: str | None = None
    if not isinstance(disease, str) or not disease.strip():
        errors.append(FieldError(f"{path}.disease", "missing: our disease code or ICD-10"))
    else:
        code, why = references.diseases.resolve(disease.strip())
        if code is None:
            errors.append(FieldError(f"{path}.disease", why))
    measure = value.get("measure")
    if measure not in MEASURES:
        errors.append(FieldError(f"{path}.measure", f"must be one of: {', '.join(MEASURES)}"))
    if not isinstance(value.get("name", ""), str):
        errors.append(FieldError(f"{path}.name", "must be text"))
    if len(errors) > before or code is None:
        return None
    return DataElementMapping(disease=code, measure=str(measure))


def _org_unit(
    path: str, value: dict[str, Any], references: WeeklyReferences, errors: list[FieldError]
) -> OrgUnitMapping | None:
    before = len(errors)
    _unknown_keys(path, value, _ORG_UNIT_KEYS, errors)
    country = value.get("country")
    code: str | None = None
    if not isinstance(country, str) or not country.strip():
        errors.append(FieldError(f"{path}.country", "missing: ISO 3166-1 alpha-3 (e.g. THA)"))
    elif country.strip().upper() not in references.countries:
        errors.append(
            FieldError(
                f"{path}.country",
                f"'{shorten(country)}' is not the ISO 3166-1 alpha-3 code of a served country "
                "(e.g. THA)",
            )
        )
    else:
        code = country.strip().upper()
    area = value.get("area")
    if isinstance(area, str) and not area.strip():
        area = None  # as an empty CSV cell: the national total
    area_code: str | None = None
    if area is not None:
        owner = references.areas.get(area.strip().upper()) if isinstance(area, str) else None
        if owner is None:
            shown = f"'{shorten(area)}'" if isinstance(area, str) else json_kind(area)
            errors.append(
                FieldError(
                    f"{path}.area",
                    f"{shown} is not the ISO 3166-2 code of a first-level subdivision "
                    "(e.g. TH-10); null for the national total",
                )
            )
        else:
            area_code = str(area).strip().upper()
            if code is not None and owner != code:
                errors.append(
                    FieldError(f"{path}.area", f"{area_code} is in {owner}, not in {code}")
                )
    if not isinstance(value.get("name", ""), str):
        errors.append(FieldError(f"{path}.name", "must be text"))
    if len(errors) > before or code is None:
        return None
    return OrgUnitMapping(country=code, area=area_code)
