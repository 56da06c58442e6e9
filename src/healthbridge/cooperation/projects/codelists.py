"""The IATI 2.03 codelists cooperation projects use, and the OECD DAC purpose codes we ship.

Codes are kept as IATI writes them (strings of digits in XML); the small numeric codelists are
plain ``int`` in the database and the API. The DAC list and the organisations' IATI identifiers
are data files in ``cooperation/projects/data/``, read on first use (importing opens no file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from healthbridge.marks import N_

#: IATI ActivityStatus.
ACTIVITY_STATUS: dict[int, str] = {
    1: N_("Pipeline/identification"),
    2: N_("Implementation"),
    3: N_("Finalisation"),
    4: N_("Closed"),
    5: N_("Cancelled"),
    6: N_("Suspended"),
}

#: IATI ActivityDateType.
ACTIVITY_DATE_TYPE: dict[int, str] = {
    1: N_("Planned start"),
    2: N_("Actual start"),
    3: N_("Planned end"),
    4: N_("Actual end"),
}
#: Each end date type and the start it must not precede.
END_OF_START: dict[int, int] = {3: 1, 4: 2}

#: IATI OrganisationRole.
ORGANISATION_ROLE: dict[int, str] = {
    1: N_("Funding"),
    2: N_("Accountable"),
    3: N_("Extending"),
    4: N_("Implementing"),
}

#: IATI OrganisationType.
ORGANISATION_TYPE: dict[str, str] = {
    "10": N_("Government"),
    "11": N_("Local Government"),
    "15": N_("Other Public Sector"),
    "21": N_("International NGO"),
    "22": N_("National NGO"),
    "23": N_("Regional NGO"),
    "24": N_("Partner Country based NGO"),
    "30": N_("Public Private Partnership"),
    "40": N_("Multilateral"),
    "60": N_("Foundation"),
    "70": N_("Private Sector"),
    "71": N_("Private Sector in Provider Country"),
    "72": N_("Private Sector in Aid Recipient Country"),
    "73": N_("Private Sector in Third Country"),
    "80": N_("Academic, Training and Research"),
    "90": N_("Other"),
}

#: The IATI organisation type of each kind of organisation in HealthBridge's reference data.
TYPE_OF_KIND: dict[str, str] = {
    "ministry_of_health": "10",
    "public_health_agency": "10",
    "development_agency": "10",
    "intergovernmental": "40",
    "un_agency": "40",
    "other": "90",
}

#: IATI BudgetType and BudgetStatus.
BUDGET_TYPE: dict[int, str] = {1: N_("Original"), 2: N_("Revised")}
BUDGET_STATUS: dict[int, str] = {1: N_("Indicative"), 2: N_("Committed")}

#: IATI TransactionType.
TRANSACTION_TYPE: dict[int, str] = {
    1: N_("Incoming Funds"),
    2: N_("Outgoing Commitment"),
    3: N_("Disbursement"),
    4: N_("Expenditure"),
    5: N_("Interest Payment"),
    6: N_("Loan Repayment"),
    7: N_("Reimbursement"),
    8: N_("Purchase of Equity"),
    9: N_("Sale of Equity"),
    10: N_("Credit Guarantee"),
    11: N_("Incoming Commitment"),
    12: N_("Outgoing Pledge"),
    13: N_("Incoming Pledge"),
}
#: Transaction types whose values count as money spent: disbursements and expenditure.
DISBURSED_TYPES = frozenset({3, 4})

#: IATI ResultType (the three levels of a results chain).
RESULT_TYPE: dict[int, str] = {1: N_("Output"), 2: N_("Outcome"), 3: N_("Impact")}

#: IATI IndicatorMeasure.
INDICATOR_MEASURE: dict[int, str] = {
    1: N_("Unit"),
    2: N_("Percentage"),
    3: N_("Nominal"),
    4: N_("Ordinal"),
    5: N_("Qualitative"),
}
#: Measures whose baseline, target and actual values are numbers.
NUMERIC_MEASURES = frozenset({1, 2, 3, 4})

#: IATI SectorVocabulary 1: OECD DAC CRS purpose codes (5 digits).
DAC_VOCABULARY = "1"


@dataclass(frozen=True)
class PurposeCode:
    """An OECD DAC CRS purpose code and the category (3 digits) it belongs to."""

    code: str
    name: str
    category: str
    category_name: str


@dataclass(frozen=True)
class OrganisationIdentity:
    """How one of our organisations appears in IATI: its identifier (if any) and its type."""

    code: str
    ref: str | None
    type: str


def _data(name: str) -> Any:
    text = (
        resources.files("healthbridge.cooperation.projects")
        .joinpath("data", name)
        .read_text("utf-8")
    )
    return json.loads(text)


@lru_cache(maxsize=1)
def purpose_codes() -> dict[str, PurposeCode]:
    """The DAC purpose codes we accept, by code, in the order of the shipped list."""
    data = _data("dac_purpose_codes.json")
    categories = {c["code"]: c["name"] for c in data["categories"]}
    return {
        item["code"]: PurposeCode(
            item["code"], item["name"], item["category"], categories[item["category"]]
        )
        for item in data["codes"]
    }


def purpose_name(code: str) -> str:
    """The name of a DAC purpose code, or the code itself when we do not know it."""
    found = purpose_codes().get(code)
    return found.name if found else code


@lru_cache(maxsize=1)
def organisation_identities() -> dict[str, OrganisationIdentity]:
    """Known IATI identities of our organisations, by our organisation code."""
    data = _data("iati_organisations.json")
    return {
        item["code"]: OrganisationIdentity(item["code"], item["ref"], item["type"])
        for item in data["organisations"]
    }


def organisation_of_ref(ref: str) -> str | None:
    """Our organisation code for an IATI organisation identifier, when we know it."""
    for identity in organisation_identities().values():
        if identity.ref == ref:
            return identity.code
    return None


def iati_identity(code: str, kind: str) -> OrganisationIdentity:
    """The IATI identity of our organisation ``code`` of ``kind`` (ref may be unknown)."""
    known = organisation_identities().get(code)
    if known is not None:
        return known
    return OrganisationIdentity(code, None, TYPE_OF_KIND.get(kind, "90"))
