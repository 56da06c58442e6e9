"""The IHR (2005) Annex 2 decision instrument: must an event be notified to WHO?

WHO, *International Health Regulations (2005)*, third edition, 2016, Annex 2 ("Decision
instrument for the assessment and notification of events that may constitute a public health
emergency of international concern") and Article 6 (notification within 24 hours of assessment).

Three ways into the instrument:

* A case of smallpox, poliomyelitis due to wild-type poliovirus, human influenza caused by a new
  subtype or SARS is "unusual or unexpected and may have serious public health impact" and shall
  always be notified (:attr:`Annex2Group.ALWAYS_NOTIFIABLE`).
* Cholera, pneumonic plague, yellow fever, viral haemorrhagic fevers (Ebola, Lassa, Marburg),
  West Nile fever and other diseases of special national or regional concern (e.g. dengue fever,
  Rift Valley fever, meningococcal disease) shall always lead to the algorithm
  (:attr:`Annex2Group.ALWAYS_ALGORITHM`).
* Any other event of potential international public health concern, including those of unknown
  cause, goes through the algorithm too (:attr:`Annex2Group.ALGORITHM_IF_CONCERN`).

The algorithm asks four questions; the event shall be notified when the answers to any two are
yes. Otherwise it is not notified at this stage and is reassessed when more is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class Annex2Group(StrEnum):
    """Which box of Annex 2 a disease enters by."""

    ALWAYS_NOTIFIABLE = "always_notifiable"
    ALWAYS_ALGORITHM = "always_algorithm"
    ALGORITHM_IF_CONCERN = "algorithm_if_concern"


class Question(StrEnum):
    """The four questions of the algorithm, in Annex 2's order."""

    SERIOUS_IMPACT = "serious_impact"
    UNUSUAL = "unusual"
    INTERNATIONAL_SPREAD = "international_spread"
    TRAVEL_TRADE_RESTRICTIONS = "travel_trade_restrictions"

    @property
    def text(self) -> str:
        """The question as Annex 2 asks it."""
        return QUESTION_TEXT[self]


QUESTION_TEXT: Final[dict[Question, str]] = {
    Question.SERIOUS_IMPACT: "Is the public health impact of the event serious?",
    Question.UNUSUAL: "Is the event unusual or unexpected?",
    Question.INTERNATIONAL_SPREAD: "Is there a significant risk of international spread?",
    Question.TRAVEL_TRADE_RESTRICTIONS: (
        "Is there a significant risk of international travel or trade restrictions?"
    ),
}

#: Annex 2's own lists, by name (for display; our codes are mapped in :data:`DISEASE_GROUPS`).
ANNEX2_ALWAYS_NOTIFIABLE: Final = (
    "Smallpox",
    "Poliomyelitis due to wild-type poliovirus",
    "Human influenza caused by a new subtype",
    "Severe acute respiratory syndrome (SARS)",
)
ANNEX2_ALWAYS_ALGORITHM: Final = (
    "Cholera",
    "Pneumonic plague",
    "Yellow fever",
    "Viral haemorrhagic fevers (Ebola, Lassa, Marburg)",
    "West Nile fever",
    "Other diseases of special national or regional concern, "
    "e.g. dengue fever, Rift Valley fever and meningococcal disease",
)

#: Our disease codes (``healthbridge/reference/diseases.json``) by Annex 2 group. Polio is
#: placed with the always-notifiable diseases on the footing of ``ihr_always_notifiable`` in the
#: reference list: Annex 2 names wild-type poliovirus only, and a vaccine-derived case has to be
#: judged with the algorithm by the assessor (pass ``group=`` to :func:`decide`).
DISEASE_GROUPS: Final[dict[str, Annex2Group]] = {
    "anthrax": Annex2Group.ALGORITHM_IF_CONCERN,
    "avian_influenza_h5n1": Annex2Group.ALWAYS_NOTIFIABLE,  # human influenza, new subtype
    "chikungunya": Annex2Group.ALGORITHM_IF_CONCERN,
    "cholera": Annex2Group.ALWAYS_ALGORITHM,
    "covid_19": Annex2Group.ALGORITHM_IF_CONCERN,
    "dengue": Annex2Group.ALWAYS_ALGORITHM,  # named as of special regional concern
    "diphtheria": Annex2Group.ALGORITHM_IF_CONCERN,
    "hand_foot_mouth_disease": Annex2Group.ALGORITHM_IF_CONCERN,
    "hepatitis_a": Annex2Group.ALGORITHM_IF_CONCERN,
    "hiv_infection": Annex2Group.ALGORITHM_IF_CONCERN,
    "influenza_seasonal": Annex2Group.ALGORITHM_IF_CONCERN,
    "japanese_encephalitis": Annex2Group.ALGORITHM_IF_CONCERN,
    "leptospirosis": Annex2Group.ALGORITHM_IF_CONCERN,
    "malaria": Annex2Group.ALGORITHM_IF_CONCERN,
    "measles": Annex2Group.ALGORITHM_IF_CONCERN,
    "mers": Annex2Group.ALGORITHM_IF_CONCERN,  # not SARS: Annex 2 names SARS only
    "mpox": Annex2Group.ALGORITHM_IF_CONCERN,
    "nipah_virus_infection": Annex2Group.ALGORITHM_IF_CONCERN,
    "pertussis": Annex2Group.ALGORITHM_IF_CONCERN,
    "polio": Annex2Group.ALWAYS_NOTIFIABLE,  # wild-type poliovirus
    "rabies": Annex2Group.ALGORITHM_IF_CONCERN,
    "rubella": Annex2Group.ALGORITHM_IF_CONCERN,
    "scrub_typhus": Annex2Group.ALGORITHM_IF_CONCERN,
    "severe_dengue": Annex2Group.ALWAYS_ALGORITHM,  # dengue
    "tuberculosis": Annex2Group.ALGORITHM_IF_CONCERN,
    "typhoid": Annex2Group.ALGORITHM_IF_CONCERN,
    "zika": Annex2Group.ALGORITHM_IF_CONCERN,
}

#: Article 6: notify WHO within 24 hours of assessing that the event is notifiable.
NOTIFICATION_WINDOW: Final = timedelta(hours=24)
#: Annex 2: notify when the answers to any two of the four questions are yes.
YES_NEEDED: Final = 2


def disease_group(disease: str | None) -> Annex2Group:
    """The Annex 2 group of one of our disease codes; an unknown cause (None) takes the algorithm.

    Raises
    ------
    ValueError
        When ``disease`` is not a code of our reference list, naming the field.
    """
    if disease is None:
        return Annex2Group.ALGORITHM_IF_CONCERN
    try:
        return DISEASE_GROUPS[disease]
    except KeyError:
        raise ValueError(f"disease: {disease!r} is not a known disease code") from None


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of the algorithm: yes or no, and why (required, not blank)."""

    yes: bool
    justification: str


@dataclass(frozen=True, slots=True)
class Annex2Decision:
    """What the instrument decided, and by when WHO must be told."""

    notify: bool
    group: Annex2Group
    reason: str
    decided_at: datetime
    #: ``decided_at`` + 24 hours when ``notify``; None otherwise.
    deadline: datetime | None
    yes_count: int
    answers: dict[Question, Answer]


def _answers(answers: object) -> dict[Question, Answer]:
    if not isinstance(answers, dict):
        raise ValueError("answers: a mapping of question to answer is required")
    parsed: dict[Question, Answer] = {}
    for key, answer in answers.items():
        try:
            question = Question(key)
        except ValueError:
            raise ValueError(f"answers: {key!r} is not one of the four questions") from None
        field = f"answers.{question.value}"
        if not isinstance(answer, Answer) or not isinstance(answer.yes, bool):
            raise ValueError(f"{field}: an answer (yes or no, with justification) is required")
        if not isinstance(answer.justification, str) or not answer.justification.strip():
            raise ValueError(f"{field}.justification: a justification is required")
        parsed[question] = Answer(answer.yes, answer.justification.strip())
    return parsed


def decide(
    *,
    disease: str | None,
    answers: dict[Question, Answer] | dict[str, Answer],
    decided_at: datetime,
    group: Annex2Group | str | None = None,
) -> Annex2Decision:
    """Run the Annex 2 instrument for one event.

    Parameters
    ----------
    disease
        One of our disease codes, or None for an event of unknown cause.
    answers
        The answers by question (enum or its value). The algorithm needs all four; for an
        always-notifiable disease they are optional and recorded when given.
    decided_at
        When the assessment was made: a timezone-aware datetime.
    group
        The assessor's own placing, overriding :data:`DISEASE_GROUPS` (e.g. a vaccine-derived
        poliovirus taken through the algorithm).

    Raises
    ------
    ValueError
        On an unknown disease, group or question, a missing answer or justification, or a naive
        ``decided_at``; the message starts with the field.
    """
    if not isinstance(decided_at, datetime) or decided_at.utcoffset() is None:
        raise ValueError("decided_at: a timezone-aware date and time is required")
    if group is None:
        placed = disease_group(disease)
    else:
        if disease is not None:
            disease_group(disease)  # still refuse an unknown code
        try:
            placed = Annex2Group(group)
        except ValueError:
            raise ValueError(f"group: {group!r} is not an Annex 2 group") from None
    parsed = _answers(answers)
    yes = sum(answer.yes for answer in parsed.values())
    if placed is Annex2Group.ALWAYS_NOTIFIABLE:
        return Annex2Decision(
            notify=True,
            group=placed,
            reason=(
                "Annex 2: a case of this disease is always unusual or unexpected and may have "
                "serious public health impact, so it shall be notified to WHO."
            ),
            decided_at=decided_at,
            deadline=decided_at + NOTIFICATION_WINDOW,
            yes_count=yes,
            answers=parsed,
        )
    missing = [question.value for question in Question if question not in parsed]
    if missing:
        raise ValueError(f"answers.{missing[0]}: the algorithm needs an answer to every question")
    notify = yes >= YES_NEEDED
    yes_list = ", ".join(q.text for q in Question if parsed[q].yes) or "none"
    if notify:
        reason = (
            f"Annex 2: {yes} of the four questions answered yes (any two suffice), "
            f"so the event shall be notified to WHO. Yes: {yes_list}"
        )
    else:
        reason = (
            f"Annex 2: {yes} of the four questions answered yes (two are needed); not notified "
            f"at this stage, reassess when more information becomes available. Yes: {yes_list}"
        )
    return Annex2Decision(
        notify=notify,
        group=placed,
        reason=reason,
        decided_at=decided_at,
        deadline=decided_at + NOTIFICATION_WINDOW if notify else None,
        yes_count=yes,
        answers=parsed,
    )
