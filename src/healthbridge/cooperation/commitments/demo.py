"""Demo data: commitments the demo meetings produced, from public press releases.

Demo data only. The commitments paraphrase what the meetings agreed or asked for as reported in
public press releases (Korea's Ministry of Health and Welfare, KBS, ASEAN); their due dates and
the later progress are plausible, not official. Idempotent: a commitment is found by its
meeting and text before it is created; a missing meeting is skipped quietly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import (
    CommitmentKind,
    CommitmentStatus,
    EvidenceKind,
)
from healthbridge.cooperation.commitments.schemas import (
    CommitmentCreate,
    EvidenceCreate,
    StatusChangeCreate,
)
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.projects import service as projects
from healthbridge.policy import Principal

DEMO_NOTE = "Demo data, paraphrased from public press releases; dates after the meeting assumed."

BUSAN = ("Korea–ASEAN Secretariat meeting on the health dialogue channel", dt.date(2019, 11, 26))
HMM1 = ("1st ASEAN–Republic of Korea Health Ministers' Meeting", dt.date(2022, 5, 15))
APT9 = ("9th ASEAN Plus Three Health Ministers' Meeting", dt.date(2022, 5, 15))
KOR_IDN = ("Korea–Indonesia bilateral talks", dt.date(2022, 5, 16))
KOR_USA = ("Korea–United States bilateral talks", dt.date(2022, 5, 16))
HMM2 = ("2nd ASEAN–Republic of Korea Health Ministers' Meeting", dt.date(2024, 8, 29))
APT10 = ("10th ASEAN Plus Three Health Ministers' Meeting", dt.date(2024, 8, 29))

#: Korea's Ministry of Health and Welfare on the 1st ASEAN–ROK Health Ministers' Meeting.
MOHW_HMM1 = (
    "https://www.mohw.go.kr/eng/nw/nw0101vw.jsp?PAR_MENU_ID=1007&MENU_ID=100701&page=1"
    "&CONT_SEQ=371528"
)
#: Korea's Ministry of Health and Welfare on the World Bio Summit 2022 (Seoul, 25–26 October).
MOHW_WBS = "https://mohw.go.kr/board.es?act=view&bid=0032&list_no=373354&mid=a20401000000"
#: KBS World (Indonesian service) on the 1st ASEAN–ROK meeting; names Lao PDR as 2024 host.
KBS_HMM1 = "https://world.kbs.co.kr/service/news_view.htm?lang=i&Seq_Code=66834"

HUB_PROJECT = "KR-GOV-010-HB-2022-002"
INSURANCE_PROJECT = "KR-GOV-010-HB-2022-001"
PHC_PROJECT = "KR-GOV-010-HB-2023-003"
LAB_PROJECT = "KR-GOV-010-HB-2023-004"


@dataclass(frozen=True)
class Proof:
    """Evidence: a demo project by IATI identifier, else (or also) a link."""

    project: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Step:
    """A status the commitment moved to after it was recorded."""

    status: CommitmentStatus
    note: str | None = None
    delivered_on: dt.date | None = None
    proof: Proof | None = None


@dataclass(frozen=True)
class DemoCommitment:
    meeting: tuple[str, dt.date]
    text: str
    kind: CommitmentKind
    owed_by_country: str | None = None
    owed_by_organisation: str | None = None
    owed_to_country: str | None = None
    owed_to_organisation: str | None = None
    due_on: dt.date | None = None
    #: Due this many days from the day the demo is loaded (to show overdue and due-soon ones).
    due_in_days: int | None = None
    status: CommitmentStatus = CommitmentStatus.AGREED
    steps: tuple[Step, ...] = ()


AGREED = CommitmentKind.AGREEMENT
DELIVERED = CommitmentStatus.DELIVERED
IN_PROGRESS = CommitmentStatus.IN_PROGRESS

COMMITMENTS: tuple[DemoCommitment, ...] = (
    DemoCommitment(
        BUSAN,
        "Establish an official ASEAN–Korea health dialogue channel and hold its first health "
        "ministers' meeting",
        AGREED,
        owed_by_organisation="ASEC",
        owed_to_country="KOR",
        due_on=dt.date(2021, 12, 31),
        steps=(
            Step(IN_PROGRESS, "Channel set up in 2020; the first meeting waited for the pandemic."),
            Step(
                DELIVERED,
                "The 1st ASEAN–Republic of Korea Health Ministers' Meeting met in Bali.",
                dt.date(2022, 5, 15),
                Proof(url=MOHW_HMM1, note="The 2022 meeting (Bali, 15 May 2022)."),
            ),
        ),
    ),
    DemoCommitment(
        HMM1,
        "Cooperate on universal health coverage: share Korea's health insurance experience "
        "with ASEAN Member States",
        AGREED,
        owed_by_country="KOR",
        due_on=dt.date(2024, 8, 29),
        steps=(
            Step(IN_PROGRESS, proof=Proof(project=INSURANCE_PROJECT)),
            Step(
                DELIVERED,
                "Progress reported to the 2nd ASEAN–ROK Health Ministers' Meeting.",
                dt.date(2024, 8, 29),
                Proof(url=MOHW_HMM1, note="Reported at the 2nd meeting (Vientiane, 2024)."),
            ),
        ),
    ),
    DemoCommitment(
        HMM1,
        "Strengthen primary health care in ASEAN Member States",
        AGREED,
        owed_by_country="KOR",
        due_on=dt.date(2027, 12, 31),
        steps=(Step(IN_PROGRESS, proof=Proof(project=PHC_PROJECT)),),
    ),
    DemoCommitment(
        HMM1,
        "Cooperate on information and communications technology (ICT) in health",
        AGREED,
        owed_by_country="KOR",
        due_on=dt.date(2026, 6, 30),
    ),
    DemoCommitment(
        HMM1,
        "Strengthen preparedness for and response to public health emergencies",
        AGREED,
        owed_by_country="KOR",
        due_on=dt.date(2027, 6, 30),
        steps=(Step(IN_PROGRESS, proof=Proof(project=LAB_PROJECT)),),
    ),
    DemoCommitment(
        HMM1,
        "Train the biomanufacturing workforce of ASEAN Member States through the WHO global "
        "training hub in Korea",
        AGREED,
        owed_by_country="KOR",
        due_on=dt.date(2027, 12, 31),
        steps=(Step(IN_PROGRESS, proof=Proof(project=HUB_PROJECT)),),
    ),
    DemoCommitment(
        KOR_IDN,
        "Indonesia asks to take part in the global biomanufacturing workforce training hub",
        CommitmentKind.REQUEST,
        owed_by_country="KOR",
        owed_to_country="IDN",
        due_on=dt.date(2022, 12, 31),
        steps=(
            Step(
                DELIVERED,
                "Indonesian trainees admitted to the hub's 2022 courses (assumed for the demo).",
                dt.date(2022, 10, 31),
                Proof(project=HUB_PROJECT, url=MOHW_WBS),
            ),
        ),
    ),
    DemoCommitment(
        KOR_IDN,
        "Indonesia to take part in the World Bio Summit 2022 in Seoul",
        CommitmentKind.REQUEST,
        owed_by_country="IDN",
        owed_to_country="KOR",
        due_on=dt.date(2022, 10, 26),
        steps=(
            Step(
                DELIVERED,
                "World Bio Summit 2022 held in Seoul on 25–26 October (attendance assumed).",
                dt.date(2022, 10, 26),
                Proof(url=MOHW_WBS),
            ),
        ),
    ),
    DemoCommitment(
        KOR_USA,
        "Korea asks the United States to locate the US CDC's East Asia regional office in Korea",
        CommitmentKind.REQUEST,
        owed_by_organisation="USA-CDC",
        owed_to_country="KOR",
        status=CommitmentStatus.PROPOSED,
    ),
    DemoCommitment(
        APT9,
        "Hold the 10th ASEAN Plus Three Health Ministers' Meeting in Lao PDR in 2024",
        AGREED,
        owed_by_country="LAO",
        due_on=dt.date(2024, 12, 31),
        steps=(
            Step(
                DELIVERED,
                "Met in Vientiane on 29 August 2024.",
                dt.date(2024, 8, 29),
                Proof(url=KBS_HMM1, note="Announced at the 2022 meetings."),
            ),
        ),
    ),
    DemoCommitment(
        HMM2,
        "Report the progress of the ASEAN–Korea cooperation projects to the 3rd ASEAN–ROK "
        "Health Ministers' Meeting",
        CommitmentKind.FOLLOW_UP,
        owed_by_country="KOR",
        due_in_days=12,
        steps=(Step(IN_PROGRESS),),
    ),
    DemoCommitment(
        HMM2,
        "Share Thailand's national UHC progress figures with the ASEAN Secretariat for the "
        "regional report",
        CommitmentKind.FOLLOW_UP,
        owed_by_country="THA",
        owed_to_organisation="ASEC",
        due_in_days=-40,
    ),
    DemoCommitment(
        HMM2,
        "Share Viet Nam's laboratory capacity assessment with the infectious disease "
        "laboratory project",
        CommitmentKind.FOLLOW_UP,
        owed_by_country="VNM",
        owed_to_country="KOR",
        due_in_days=25,
    ),
    DemoCommitment(
        APT10,
        "Support the operations of the ASEAN Centre for Public Health Emergencies and Emerging "
        "Diseases (ACPHEED)",
        CommitmentKind.PLEDGE,
        owed_by_country="JPN",
        owed_to_organisation="ACPHEED",
        due_on=dt.date(2027, 12, 31),
        steps=(Step(IN_PROGRESS),),
    ),
)


def _evidence(session: Session, proof: Proof) -> list[EvidenceCreate]:
    found: list[EvidenceCreate] = []
    if proof.project:
        project = projects.find_project(session=session, iati_identifier=proof.project)
        if project is not None:
            found.append(
                EvidenceCreate(
                    kind=EvidenceKind.PROJECT, project_id=project.id, note=proof.note or DEMO_NOTE
                )
            )
    if proof.url:
        found.append(
            EvidenceCreate(kind=EvidenceKind.LINK, url=proof.url, note=proof.note or DEMO_NOTE)
        )
    return found


def _load_one(
    *, session: Session, actor: Principal, record: DemoCommitment, meeting_id: int
) -> None:
    on = service.today()
    due_on = record.due_on
    if record.due_in_days is not None:
        due_on = on + dt.timedelta(days=record.due_in_days)
    commitment = service.create_commitment(
        session=session,
        actor=actor,
        commitment_in=CommitmentCreate(
            text=record.text,
            kind=record.kind,
            meeting_id=meeting_id,
            owed_by_country=record.owed_by_country,
            owed_by_organisation=record.owed_by_organisation,
            owed_to_country=record.owed_to_country,
            owed_to_organisation=record.owed_to_organisation,
            due_on=due_on,
            status=record.status,
            note=DEMO_NOTE,
        ),
    )
    for step in record.steps:
        proofs = _evidence(session, step.proof) if step.proof else []
        for proof in proofs[1:]:
            service.add_evidence(
                session=session, actor=actor, commitment_id=commitment.id, evidence_in=proof
            )
        if step.status is DELIVERED and not proofs and not commitment.evidence:
            return  # no evidence to show (a demo project is missing): leave it where it is
        service.change_status(
            session=session,
            actor=actor,
            commitment_id=commitment.id,
            change=StatusChangeCreate(
                status=step.status,
                note=step.note,
                delivered_on=step.delivered_on,
                evidence=proofs[0] if proofs else None,
            ),
        )


def load_demo(*, session: Session, actor: Principal) -> None:
    """Load the demo commitments (idempotent; meetings that are missing are skipped)."""
    for record in COMMITMENTS:
        title, starts_on = record.meeting
        meeting = meetings.find_meeting(session=session, title=title, starts_on=starts_on)
        if meeting is None:
            continue
        if service.find_commitment(session=session, meeting_id=meeting.id, text=record.text):
            continue
        _load_one(session=session, actor=actor, record=record, meeting_id=meeting.id)
