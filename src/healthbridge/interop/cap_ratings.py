"""Our event vocabulary in CAP's words: ``urgency``, ``severity`` and ``certainty``.

An EOC event's risk level (from its rapid risk assessment) and its status (where it stands in the
lifecycle of :mod:`healthbridge.eoc.lifecycle`) become the three ratings of a CAP 1.2 ``info``
block. The rules and their sources are in :func:`cap_assessment`; the tables are public so that
pages can show them. The vocabularies are repeated here (an exchange format does not import a
domain); a test checks they match ``healthbridge.eoc.models``.

How to wire (events helper / lead): when an alert is written for an event, pass the event's
``risk_level`` and ``status`` and put the result into :class:`healthbridge.interop.cap.Info`
(``Info(..., **rating._asdict())``). A closed or discarded event gives urgency ``Past``: publish
it as an ``Update`` (or ``Cancel`` when discarded) referencing the earlier alerts.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.cap import Certainty, Severity, Urgency

RiskLevel = Literal["very_low", "low", "moderate", "high", "very_high"]
EventStatus = Literal[
    "signal", "monitoring", "verifying", "verified", "discarded", "risk_assessed", "responding",
    "closed",
]  # fmt: skip
RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)
EVENT_STATUSES: tuple[EventStatus, ...] = get_args(EventStatus)

SEVERITY_BY_RISK: dict[RiskLevel, Severity] = {
    "very_low": "Minor",
    "low": "Minor",
    "moderate": "Moderate",
    "high": "Severe",
    "very_high": "Extreme",
}
URGENCY_BY_RISK: dict[RiskLevel, Urgency] = {
    "very_low": "Future",
    "low": "Future",
    "moderate": "Future",
    "high": "Expected",
    "very_high": "Immediate",
}
CERTAINTY_BY_STATUS: dict[EventStatus, Certainty] = {
    "signal": "Possible",
    "monitoring": "Possible",
    "verifying": "Possible",
    "verified": "Observed",
    "risk_assessed": "Observed",
    "responding": "Observed",
    "closed": "Observed",
    "discarded": "Unlikely",
}
#: Statuses after which no response is needed any more.
ENDED_STATUSES: frozenset[EventStatus] = frozenset({"closed", "discarded"})


class CapAssessment(NamedTuple):
    """The three CAP ratings of an ``info`` block."""

    urgency: Urgency
    severity: Severity
    certainty: Certainty


def cap_assessment(*, risk_level: RiskLevel | None, status: EventStatus) -> CapAssessment:
    """CAP's urgency, severity and certainty for an event.

    ``risk_level`` is the overall risk of the event's rapid risk assessment (``None`` when not
    yet assessed) and ``status`` the event's place in its lifecycle.

    Severity follows the risk level, read against the definitions of CAP 1.2 section 3.2.2
    (Minor "minimal to no known threat", Moderate "possible threat", Severe "significant
    threat", Extreme "extraordinary threat to life or property"): very low and low → Minor,
    moderate → Moderate, high → Severe, very high → Extreme; not assessed → Unknown.

    Urgency follows the actions WHO's *Rapid Risk Assessment of Acute Public Health Events*
    (WHO/HSE/GAR/ARO/2012.1) lists for each overall risk level, in paraphrase: very high, an
    immediate response, even out of working hours → Immediate; high, senior management
    attention and a command structure may be needed → Expected (act soon); moderate, low and
    very low, specific or routine control measures → Future. (CAP's Expected reads "soon
    (within next hour)": for a high-risk health event the EOC acts within hours, the nearest
    CAP value.) WHO's scale runs from low to very high; ``very_low`` comes from ECDC's
    five-level scale and is treated as low. A closed or discarded event → Past (CAP:
    "responsive action is no longer required"), whatever its level; an event not yet assessed
    → Unknown.

    Certainty follows verification (WHO, *Early detection, assessment and response to acute
    public health events*, 2014: a signal is verified before it is an event): unverified
    (signal, monitoring, verifying) → Possible ("possible but not likely", p ≤ ~50%); verified
    and later, closed included → Observed ("determined to have occurred or to be ongoing");
    discarded → Unlikely ("not expected to occur"). Likely is not produced: an event is
    verified or it is not.
    """
    if risk_level is not None and risk_level not in SEVERITY_BY_RISK:
        raise Invalid(
            f"'{risk_level}' is not a risk level",
            errors=[FieldError("risk_level", f"one of {', '.join(RISK_LEVELS)}")],
        )
    if status not in CERTAINTY_BY_STATUS:
        raise Invalid(
            f"'{status}' is not an event status",
            errors=[FieldError("status", f"one of {', '.join(EVENT_STATUSES)}")],
        )
    severity: Severity = "Unknown" if risk_level is None else SEVERITY_BY_RISK[risk_level]
    urgency: Urgency
    if status in ENDED_STATUSES:
        urgency = "Past"
    elif risk_level is None:
        urgency = "Unknown"
    else:
        urgency = URGENCY_BY_RISK[risk_level]
    return CapAssessment(urgency, severity, CERTAINTY_BY_STATUS[status])
