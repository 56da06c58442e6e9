"""Demo data of the training part: the global biomanufacturing workforce training hub.

The programme is real: WHO designated the Republic of Korea as the global biomanufacturing
training hub in February 2022, run by the Ministry of Health and Welfare. Its courses here are
plausible but illustrative, and every trainee is a fictional person (the family name "Demo" and
the ``source`` say so). Loaded through the services, so every record is validated and audited;
each record is looked up by its natural key first, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.training import service, trainees
from healthbridge.cooperation.training.models import Course, Programme, Trainee
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CourseMode,
    EnrolmentComplete,
    EnrolmentCreate,
    EnrolmentStatus,
    EnrolmentWithdraw,
    ProgrammeCreate,
    ProgrammeUpdate,
    Sex,
    TraineeCreate,
)
from healthbridge.policy import Principal

PROGRAMME_CODE = "BIOHUB"
PROJECT_IATI = "KR-GOV-010-HB-2022-002"
#: The commitment the hub answers, as the commitments part's demo records it.
COMMITMENT_MEETING = ("1st ASEAN–Republic of Korea Health Ministers' Meeting", dt.date(2022, 5, 15))
COMMITMENT_TEXT = (
    "Train the biomanufacturing workforce of ASEAN Member States through the WHO global "
    "training hub in Korea"
)
DEMO_SOURCE = "Demo data: a fictional person, not a real trainee."

PROGRAMME = ProgrammeCreate(
    code=PROGRAMME_CODE,
    name="Global biomanufacturing workforce training hub",
    organiser="KOR-MOHW",
    host_country="KOR",
    description=(
        "WHO designated the Republic of Korea as the global hub for training the biomanufacturing "
        "workforce of low- and middle-income countries in February 2022. The Ministry of Health "
        "and Welfare runs it with Korean universities and industry; ASEAN member states send "
        "regulators, quality-control analysts and production staff for vaccines and biologics."
    ),
    starts_on=dt.date(2022, 2, 23),
    source=(
        "Demo data. Programme from the WHO news release of 23 February 2022 designating the "
        "Republic of Korea as global biomanufacturing training hub; courses illustrative."
    ),
)


@dataclass(frozen=True)
class DemoCourse:
    course: CourseCreate
    #: Trainee keys and what became of them: "completed" (with the completion date) or
    #: "withdrawn".
    outcomes: tuple[tuple[str, str], ...]
    completed_on: dt.date


COURSES = (
    DemoCourse(
        CourseCreate(
            title="Introduction to the biomanufacturing of vaccines and biologics",
            starts_on=dt.date(2023, 7, 10),
            ends_on=dt.date(2023, 7, 21),
            mode=CourseMode.IN_PERSON,
            location="Songdo, Incheon",
            capacity=40,
            language="en",
        ),
        outcomes=(
            ("tha-1", "completed"),
            ("tha-2", "completed"),
            ("vnm-1", "completed"),
            ("vnm-2", "completed"),
            ("idn-1", "completed"),
            ("idn-2", "completed"),
            ("phl-1", "completed"),
            ("lao-1", "completed"),
            ("khm-1", "completed"),
            ("mys-1", "withdrawn"),
        ),
        completed_on=dt.date(2023, 7, 21),
    ),
    DemoCourse(
        CourseCreate(
            title="Good manufacturing practice and quality control for biologics",
            starts_on=dt.date(2024, 6, 3),
            ends_on=dt.date(2024, 6, 14),
            mode=CourseMode.HYBRID,
            location="Songdo, Incheon, and online",
            capacity=40,
            language="en",
        ),
        outcomes=(
            ("tha-3", "completed"),
            ("vnm-1", "completed"),
            ("vnm-3", "completed"),
            ("idn-3", "completed"),
            ("phl-2", "completed"),
            ("mys-1", "completed"),
            ("mys-2", "completed"),
            ("mmr-1", "withdrawn"),
        ),
        completed_on=dt.date(2024, 6, 14),
    ),
    DemoCourse(
        CourseCreate(
            title="mRNA vaccine process development",
            starts_on=dt.date(2025, 4, 7),
            ends_on=dt.date(2025, 4, 18),
            mode=CourseMode.IN_PERSON,
            location="Songdo, Incheon",
            capacity=30,
            language="en",
        ),
        outcomes=(
            ("tha-1", "completed"),
            ("idn-1", "completed"),
            ("lao-2", "completed"),
            ("khm-2", "completed"),
            ("brn-1", "completed"),
            ("tls-1", "completed"),
            ("vnm-2", "completed"),
            ("phl-1", "withdrawn"),
        ),
        completed_on=dt.date(2025, 4, 18),
    ),
)

_F, _M, _N = Sex.FEMALE, Sex.MALE, Sex.NOT_STATED

#: Fictional trainees: key, given name, sex, country, organisation, position.
TRAINEES = (
    ("tha-1", "Kanya", _F, "THA", "THA-MOPH", "Quality-control analyst"),
    ("tha-2", "Somsak", _M, "THA", "THA-MOPH", "Vaccine production engineer"),
    ("tha-3", "Pimchanok", _F, "THA", "THA-MOPH", "Regulatory officer"),
    ("vnm-1", "Thi Hoa", _F, "VNM", "VNM-MOH", "Bioprocess technician"),
    ("vnm-2", "Van Duc", _M, "VNM", "VNM-MOH", "Quality-assurance officer"),
    ("vnm-3", "Minh Chau", _N, "VNM", "VNM-MOH", "Laboratory scientist"),
    ("idn-1", "Dewi", _F, "IDN", "IDN-MOH", "Production supervisor"),
    ("idn-2", "Budi", _M, "IDN", "IDN-MOH", "Regulatory officer"),
    ("idn-3", "Ratna", _F, "IDN", "IDN-MOH", "Quality-control analyst"),
    ("phl-1", "Maria Luz", _F, "PHL", "PHL-DOH", "Regulatory officer"),
    ("phl-2", "Jose Ramon", _M, "PHL", "PHL-DOH", "Bioprocess engineer"),
    ("lao-1", "Souksavanh", _M, "LAO", "LAO-MOH", "Laboratory technician"),
    ("lao-2", "Phonevilay", _F, "LAO", "LAO-MOH", "Pharmacist"),
    ("khm-1", "Sokha", _F, "KHM", "KHM-MOH", "Quality-control analyst"),
    ("khm-2", "Dara", _M, "KHM", "KHM-MOH", "Production technician"),
    ("mys-1", "Nurul Aina", _F, "MYS", "MYS-MOH", "Regulatory officer"),
    ("mys-2", "Wei Jie", _M, "MYS", "MYS-MOH", "Bioprocess scientist"),
    ("mmr-1", "Thandar", _F, "MMR", "MMR-MOH", "Laboratory scientist"),
    ("brn-1", "Hafiz", _M, "BRN", "BRN-MOH", "Pharmacist"),
    ("tls-1", "Ana Maria", _F, "TLS", "TLS-MOH", "Laboratory technician"),
)


def _email(given: str, key: str) -> str:
    return f"{given.lower().replace(' ', '.')}.demo.{key}@trainees.healthbridge.demo"


def _commitment_id(session: Session) -> int | None:
    title, starts_on = COMMITMENT_MEETING
    meeting = meetings.find_meeting(session=session, title=title, starts_on=starts_on)
    if meeting is None:
        return None
    return service.find_commitment_id(session=session, meeting_id=meeting.id, text=COMMITMENT_TEXT)


def _programme(session: Session, actor: Principal) -> Programme:
    project = projects.find_project(session=session, iati_identifier=PROJECT_IATI)
    links = {
        "project_id": project.id if project else None,
        "commitment_id": _commitment_id(session),
    }
    programme = service.find_programme(session=session, code=PROGRAMME_CODE)
    if programme is None:
        return service.create_programme(
            session=session, actor=actor, programme_in=PROGRAMME.model_copy(update=links)
        )
    # The other parts' demos may have run after ours the first time: link what is there now.
    missing = {k: v for k, v in links.items() if v is not None and getattr(programme, k) is None}
    if missing:
        service.update_programme(
            session=session,
            actor=actor,
            code=programme.code,
            changes=ProgrammeUpdate(**missing),
        )
    return programme


def _course(session: Session, actor: Principal, programme: Programme, spec: DemoCourse) -> Course:
    found = service.find_course(
        session=session,
        programme=programme,
        title=spec.course.title,
        starts_on=spec.course.starts_on,
    )
    return found or service.create_course(
        session=session, actor=actor, programme=programme, course_in=spec.course
    )


def load_demo(*, session: Session, actor: Principal) -> None:
    """Load the biomanufacturing training hub, three courses and twenty fictional trainees with
    their enrolments, completions and certificates (idempotent)."""
    programme = _programme(session, actor)
    people: dict[str, Trainee] = {}
    for key, given, sex, country, organisation, position in TRAINEES:
        email = _email(given, key)
        people[key] = trainees.find_trainee(
            session=session, country=country, email=email
        ) or trainees.create_trainee(
            session=session,
            actor=actor,
            trainee_in=TraineeCreate(
                full_name=f"{given} Demo",
                email=email,
                sex=sex,
                country=country,
                organisation=organisation,
                position=position,
                source=DEMO_SOURCE,
            ),
        )
    for spec in COURSES:
        course = _course(session, actor, programme, spec)
        for key, outcome in spec.outcomes:
            trainee = people[key]
            enrolment = trainees.find_enrolment(session=session, course=course, trainee=trainee)
            if enrolment is None:
                enrolment = trainees.enrol(
                    session=session,
                    actor=actor,
                    course=course,
                    enrolment_in=EnrolmentCreate(
                        trainee_id=trainee.id,
                        enrolled_on=spec.course.starts_on - dt.timedelta(days=30),
                    ),
                )
            if enrolment.status != EnrolmentStatus.ENROLLED.value:
                continue
            if outcome == "completed":
                trainees.complete_enrolment(
                    session=session,
                    actor=actor,
                    enrolment_id=enrolment.id,
                    completion=EnrolmentComplete(completed_on=spec.completed_on),
                )
            else:
                trainees.withdraw_enrolment(
                    session=session,
                    actor=actor,
                    enrolment_id=enrolment.id,
                    withdrawal=EnrolmentWithdraw(withdrawn_on=spec.course.starts_on),
                )
