"""Benchmark of the FHIR reader of case reports: how fast Bundles and NDJSON are parsed.

Builds a Bundle of N cases (a Patient, a Condition, a Specimen and a laboratory Observation each,
and a DiagnosticReport for every tenth case), then times

1. ``read_fhir`` on the Bundle and on the same resources as NDJSON (resources per second; peak
   memory measured in a second run under ``tracemalloc``);
2. the share of the time spent validating resources with the ``fhir.resources`` R4B models
   (``model_validate`` alone, on the same dictionaries).

Prints figures only; the resources are generated deterministically.

    .venv/bin/python bench/fhir_read.py              # 20,000 cases (80,000+ resources)
    .venv/bin/python bench/fhir_read.py --cases 500  # a smoke run
"""

from __future__ import annotations

import argparse
import io
import json
import time
import tracemalloc
from typing import Any

from healthbridge.interop.fhir_cases import MODELS, read_fhir

COUNTRIES = (("TH", "TH-10"), ("VN", "VN-SG"), ("PH", None), ("ID", "ID-JK"), ("MY", None))


def resources(cases: int) -> list[dict[str, Any]]:
    """Four resources a case, and a DiagnosticReport every tenth case."""
    out: list[dict[str, Any]] = []
    for n in range(cases):
        country, area = COUNTRIES[n % len(COUNTRIES)]
        day = 1 + n % 27
        address = {"country": country, **({"state": area} if area else {})}
        out.append(
            {
                "resourceType": "Patient",
                "id": f"p{n}",
                "gender": ("female", "male")[n % 2],
                "birthDate": f"{1940 + n % 80}-0{1 + n % 9}-1{n % 10}",
                "address": [address],
            }
        )
        out.append(
            {
                "resourceType": "Condition",
                "id": f"c{n}",
                "identifier": [{"value": f"{country}-2024-{n:06d}"}],
                "verificationStatus": {"coding": [{"code": ("confirmed", "provisional")[n % 2]}]},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A97.9"}]},
                "subject": {"reference": f"Patient/p{n}"},
                "onsetDateTime": f"2024-02-{day:02d}",
                "recordedDate": f"2024-03-{day:02d}",
            }
        )
        out.append(
            {
                "resourceType": "Specimen",
                "id": f"s{n}",
                "accessionIdentifier": {"value": f"LAB-{n:06d}"},
                "type": {"text": "Serum"},
                "collection": {"collectedDateTime": f"2024-03-{day:02d}"},
            }
        )
        out.append(
            {
                "resourceType": "Observation",
                "id": f"o{n}",
                "status": "final",
                "category": [{"coding": [{"code": "laboratory"}]}],
                "code": {"text": "Dengue virus RNA [Presence] in Serum by NAA"},
                "subject": {"reference": f"Patient/p{n}"},
                "specimen": {"reference": f"Specimen/s{n}"},
                "interpretation": [{"coding": [{"code": ("POS", "NEG")[n % 2]}]}],
                "issued": f"2024-03-{day + 1:02d}T10:00:00+07:00",
            }
        )
        if n % 10 == 0:
            out.append(
                {
                    "resourceType": "DiagnosticReport",
                    "id": f"r{n}",
                    "status": "final",
                    "code": {"text": "Dengue PCR"},
                    "performer": [{"display": "National laboratory"}],
                    "result": [{"reference": f"Observation/o{n}"}],
                }
            )
    return out


def timed(label: str, raw: bytes, count: int) -> None:
    """Time one read, then measure its peak memory in a second (tracemalloc slows Python)."""
    start = time.perf_counter()
    batch = read_fhir(io.BytesIO(raw), filename=label)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    read_fhir(io.BytesIO(raw), filename=label)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:8} {len(raw) / 1e6:7.1f} MB  {count:7,} resources  {seconds:6.2f} s  "
        f"{count / seconds:8,.0f} resources/s  peak {peak / 1e6:6.0f} MB  "
        f"({len(batch.cases):,} cases, {len(batch.labs):,} lab results)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    args = parser.parse_args()
    items = resources(args.cases)
    bundle = json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in items]}
    ).encode()
    ndjson = "".join(json.dumps(r) + "\n" for r in items).encode()
    print(f"{args.cases:,} cases, {len(items):,} resources")
    timed("bundle", bundle, len(items))
    timed("ndjson", ndjson, len(items))
    start = time.perf_counter()
    for item in items:
        MODELS[item["resourceType"]].model_validate(item)
    validation = time.perf_counter() - start
    print(f"model_validate alone: {validation:.2f} s ({len(items) / validation:,.0f} resources/s)")


if __name__ == "__main__":
    main()
