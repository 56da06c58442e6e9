"""Demo data of the meetings part: the two ministerial series and seven meetings from 2019-2024.

The meetings are real (public press releases of the Korean Ministry of Health and Welfare and
the ASEAN Secretariat); their agendas, outcomes and joint statements here are short demo
summaries written for this platform, not the official texts, and every record says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings import documents, series, service
from healthbridge.cooperation.meetings.schemas import (
    AgendaItemIn,
    MeetingCreate,
    MeetingType,
    ParticipantIn,
    PartyIn,
    SeriesCreate,
)
from healthbridge.policy import Principal

DEMO_NOTE = (
    "Demo data: a summary of public press releases (Korean Ministry of Health and Welfare, "
    "ASEAN Secretariat), not an official record."
)
DEMO_STATEMENT_HEADER = (
    "DEMO SUMMARY - not the official text. Written for the HealthBridge demo from public press "
    "releases; consult the ASEAN Secretariat for the adopted statement.\n\n"
)
ROK_HMM = "ASEAN-ROK-HMM"
APT_HMM = "APT-HMM"

SERIES = (
    SeriesCreate(
        code=ROK_HMM,
        name="ASEAN–Republic of Korea Health Ministers' Meeting",
        meeting_type="asean_rok_hmm",
        rhythm_months=24,
        fixed_co_chair_country="KOR",
        rotation_rule="asean_alphabetical",
        description=(
            "The ministerial health dialogue channel of ASEAN and the Republic of Korea, held "
            "every two years alongside the ASEAN Health Ministers' Meeting."
        ),
    ),
    SeriesCreate(
        code=APT_HMM,
        name="ASEAN Plus Three Health Ministers' Meeting",
        meeting_type="apt_hmm",
        rhythm_months=24,
        rotation_rule="asean_alphabetical",
        description="The health ministers of ASEAN, China, Japan and the Republic of Korea.",
    ),
)

#: ASEAN members before Timor-Leste joined (October 2025), in alphabetical order of name.
ASEAN_10 = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")


@dataclass(frozen=True)
class DemoMeeting:
    title: str
    starts_on: dt.date
    city: str
    country: str
    meeting_type: MeetingType
    theme: str
    co_chairs: tuple[str, ...]
    participants: tuple[tuple[str, str], ...]
    agenda: tuple[tuple[str, str], ...]
    series: str | None = None
    number: int | None = None
    statement: str | None = None
    organisations: tuple[tuple[str, str], ...] = field(default=())


def _members(*partners: str, observer_tls: bool = False) -> tuple[tuple[str, str], ...]:
    """The ASEAN member states and the partner countries at the table, all as members."""
    countries = [(code, "member") for code in ASEAN_10]
    if observer_tls:  # Timor-Leste was an ASEAN observer from November 2022 until it joined
        countries.append(("TLS", "observer"))
    return (*countries, *((code, "member") for code in partners))


_ORGS = (("WHO", "observer"), ("ASEC", "member"))

MEETINGS = (
    DemoMeeting(
        title="Korea–ASEAN Secretariat meeting on the health dialogue channel",
        starts_on=dt.date(2019, 11, 26),
        city="Busan",
        country="KOR",
        meeting_type="other_event",
        theme="Setting up a regular health dialogue channel between Korea and ASEAN",
        co_chairs=(),
        participants=(("KOR", "member"),),
        organisations=(("ASEC", "member"),),
        agenda=(
            (
                "Korea's proposal for a ministerial health dialogue channel",
                "Agreed to prepare a first ASEAN–Korea health ministers' meeting.",
            ),
            (
                "Priorities of ASEAN–Korea health cooperation",
                "Infectious disease response, health security and universal health coverage.",
            ),
        ),
    ),
    DemoMeeting(
        title="1st ASEAN–Republic of Korea Health Ministers' Meeting",
        starts_on=dt.date(2022, 5, 15),
        city="Bali",
        country="IDN",
        meeting_type="asean_rok_hmm",
        theme="Post-COVID-19 recovery and health security cooperation",
        co_chairs=("KOR", "IDN"),
        participants=_members("KOR"),
        organisations=_ORGS,
        series=ROK_HMM,
        number=1,
        agenda=(
            (
                "Opening remarks by the co-chairs",
                "The dialogue channel opened at ministerial level.",
            ),
            (
                "COVID-19 response and recovery",
                "Shared experience of vaccination, testing and treatment.",
            ),
            (
                "Health security and the ASEAN Centre for Public Health Emergencies",
                "Korea to support preparedness and response capacity.",
            ),
            (
                "Adoption of the joint statement",
                "Adopted; the meeting to be held every two years.",
            ),
        ),
        statement=(
            "The health ministers of ASEAN and the Republic of Korea met for the first time, "
            "establishing a ministerial health dialogue channel between ASEAN and Korea, to meet "
            "every two years. They committed to cooperate on COVID-19 recovery, preparedness for "
            "future public health emergencies, and universal health coverage, including health "
            "insurance capacity building. Korea announced a global biomanufacturing workforce "
            "training hub open to ASEAN trainees."
        ),
    ),
    DemoMeeting(
        title="9th ASEAN Plus Three Health Ministers' Meeting",
        starts_on=dt.date(2022, 5, 15),
        city="Bali",
        country="IDN",
        meeting_type="apt_hmm",
        theme="Strengthening regional health resilience after COVID-19",
        co_chairs=("IDN",),
        participants=_members("CHN", "JPN", "KOR"),
        organisations=_ORGS,
        series=APT_HMM,
        number=9,
        agenda=(
            ("COVID-19 situation and response in the region", "Reports noted."),
            (
                "ASEAN Plus Three cooperation on health security",
                "Support for the ASEAN Centre for Public Health Emergencies and Emerging "
                "Diseases welcomed.",
            ),
            ("Adoption of the joint statement", "Adopted."),
        ),
        statement=(
            "The health ministers of ASEAN, China, Japan and the Republic of Korea reaffirmed "
            "ASEAN Plus Three cooperation on health security, including the ASEAN Centre for "
            "Public Health Emergencies and Emerging Diseases, vaccine security and self-reliance, "
            "and resilient health systems towards universal health coverage."
        ),
    ),
    DemoMeeting(
        title="Korea–Indonesia bilateral talks",
        starts_on=dt.date(2022, 5, 16),
        city="Bali",
        country="IDN",
        meeting_type="bilateral",
        theme="Bilateral health cooperation on the margins of the health ministers' meetings",
        co_chairs=("KOR", "IDN"),
        participants=(("KOR", "member"), ("IDN", "member")),
        agenda=(
            (
                "Vaccine and biopharmaceutical cooperation",
                "Agreed to explore cooperation on vaccine production.",
            ),
            ("Health system cooperation", "Follow-up by the two ministries."),
        ),
    ),
    DemoMeeting(
        title="Korea–United States bilateral talks",
        starts_on=dt.date(2022, 5, 16),
        city="Bali",
        country="IDN",
        meeting_type="bilateral",
        theme=(
            "Bilateral health talks with the United States delegation (the United States is not "
            "a served country, so only Korea is listed as a participant)"
        ),
        co_chairs=("KOR",),
        participants=(("KOR", "member"),),
        agenda=(
            (
                "Global health security cooperation",
                "Agreed to keep close cooperation on pandemic preparedness.",
            ),
        ),
    ),
    DemoMeeting(
        title="2nd ASEAN–Republic of Korea Health Ministers' Meeting",
        starts_on=dt.date(2024, 8, 29),
        city="Vientiane",
        country="LAO",
        meeting_type="asean_rok_hmm",
        theme="Health cooperation for a resilient and healthy ASEAN community",
        co_chairs=("KOR", "LAO"),
        participants=_members("KOR", observer_tls=True),
        organisations=_ORGS,
        series=ROK_HMM,
        number=2,
        agenda=(
            ("Opening remarks by the co-chairs", "Noted."),
            (
                "Progress since the 1st meeting",
                "Progress of the health insurance and workforce training projects reviewed.",
            ),
            (
                "Biomanufacturing and health workforce",
                "ASEAN trainees to keep joining the global biomanufacturing workforce training "
                "hub.",
            ),
            (
                "Primary health care and infectious disease laboratories",
                "Projects in Lao PDR and on laboratory capacity to continue.",
            ),
            ("Adoption of the joint statement", "Adopted; the 3rd meeting to be held in 2026."),
        ),
        statement=(
            "The health ministers of ASEAN and the Republic of Korea reviewed two years of the "
            "health dialogue channel. They welcomed ASEAN participation in the global "
            "biomanufacturing workforce training hub, the health insurance capacity building "
            "programme, primary health care in Lao PDR and infectious disease laboratory "
            "capacity, and agreed to meet again in 2026."
        ),
    ),
    DemoMeeting(
        title="10th ASEAN Plus Three Health Ministers' Meeting",
        starts_on=dt.date(2024, 8, 29),
        city="Vientiane",
        country="LAO",
        meeting_type="apt_hmm",
        theme="Enhancing connectivity and resilience in health",
        co_chairs=("LAO",),
        participants=_members("CHN", "JPN", "KOR", observer_tls=True),
        organisations=_ORGS,
        series=APT_HMM,
        number=10,
        agenda=(
            (
                "Regional health security",
                "Reports on the ASEAN Centre for Public Health "
                "Emergencies and Emerging Diseases noted.",
            ),
            ("Healthy ageing and universal health coverage", "Exchange of experience."),
            ("Adoption of the joint statement", "Adopted."),
        ),
        statement=(
            "The ASEAN Plus Three health ministers committed to strengthen preparedness for "
            "public health emergencies, healthy ageing and universal health coverage, and to "
            "continue ASEAN Plus Three cooperation through the health dialogue channel."
        ),
    ),
)


def _create(spec: DemoMeeting) -> MeetingCreate:
    return MeetingCreate(
        title=spec.title,
        meeting_type=spec.meeting_type,
        series=spec.series,
        number_in_series=spec.number,
        status="held",
        starts_on=spec.starts_on,
        ends_on=spec.starts_on,
        city=spec.city,
        country_code=spec.country,
        theme=spec.theme,
        source_note=DEMO_NOTE + " Agenda, outcomes and dates as reported; exact days may differ.",
        co_chairs=[PartyIn(country_code=code) for code in spec.co_chairs],
        participants=[
            *(ParticipantIn(country_code=code, role=role) for code, role in spec.participants),
            *(
                ParticipantIn(organisation_code=code, role=role)
                for code, role in spec.organisations
            ),
        ],
        agenda=[AgendaItemIn(title=title, outcome=outcome) for title, outcome in spec.agenda],
    )


def load_demo(*, session: Session, actor: Principal) -> None:
    """Load the demo series, meetings and joint statements, and plan the 3rd ASEAN–ROK HMM.

    Idempotent: series are found by code, meetings by title and date, documents by checksum.
    """
    for series_in in SERIES:
        if service.find_series(session=session, code=series_in.code) is None:
            series.create_series(session=session, actor=actor, series_in=series_in)
    for spec in MEETINGS:
        meeting = service.find_meeting(session=session, title=spec.title, starts_on=spec.starts_on)
        if meeting is None:
            meeting = service.create_meeting(session=session, actor=actor, meeting_in=_create(spec))
        if spec.statement:
            content = (
                f"{spec.title}\nJoint statement ({spec.city}, {spec.starts_on.isoformat()})\n\n"
                + DEMO_STATEMENT_HEADER
                + spec.statement
                + "\n"
            )
            documents.add_document(
                session=session,
                actor=actor,
                meeting_id=meeting.id,
                upload=documents.Upload(
                    filename=f"joint-statement-{(spec.series or 'meeting').lower()}-"
                    f"{spec.starts_on.isoformat()}.txt",
                    content_type="text/plain; charset=utf-8",
                    content=content.encode("utf-8"),
                    kind="joint_statement",
                    title=f"Joint statement of the {spec.title} (demo summary)",
                ),
            )
    rok = service.find_series(session=session, code=ROK_HMM)
    assert rok is not None
    series.schedule_next(session=session, actor=actor, series=rok)
