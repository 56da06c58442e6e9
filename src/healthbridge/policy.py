"""The one place where HealthBridge decides who may do what. Deny by default.

Every service asks :func:`authorize` (or :func:`visible_countries` for lists) before it reads or
writes; routes only declare which action they perform. An action missing from :data:`RULES` is
refused for everyone, so a new capability is invisible until somebody writes its rule.

Data sovereignty (DESIGN.md): records that describe a person (case reports, lab samples, and the
accounts of a country's officials) stay in their country's scope. Reference data, aggregates and
what a country chose to share are regional.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from healthbridge.errors import DenialContext, Forbidden
from healthbridge.marks import N_


class Role(StrEnum):
    """What a user does in the cooperation system."""

    REGIONAL_ADMIN = "regional_admin"
    SECRETARIAT = "secretariat"
    FOCAL_POINT = "focal_point"
    EOC_OFFICER = "eoc_officer"
    EPIDEMIOLOGIST = "epidemiologist"
    LOGISTICS_OFFICER = "logistics_officer"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.REGIONAL_ADMIN: N_("Regional administrator"),
    Role.SECRETARIAT: N_("ASEAN Secretariat"),
    Role.FOCAL_POINT: N_("Country focal point"),
    Role.EOC_OFFICER: N_("EOC officer"),
    Role.EPIDEMIOLOGIST: N_("Epidemiologist"),
    Role.LOGISTICS_OFFICER: N_("Logistics officer"),
    Role.VIEWER: N_("Viewer"),
}

#: Roles that act for the whole region and so have no country.
REGIONAL_ONLY_ROLES = frozenset({Role.REGIONAL_ADMIN, Role.SECRETARIAT})
#: Roles that speak for one country and so must have one.
COUNTRY_ONLY_ROLES = frozenset({Role.FOCAL_POINT})


class Scope(StrEnum):
    """Whose records an action may reach."""

    #: No country limit: reference data, aggregates, shared records.
    REGION = "region"
    #: Only records of the principal's own country; a regional principal reaches none.
    OWN_COUNTRY = "own_country"
    #: Records of the principal's own country; a regional principal reaches every country.
    OWN_COUNTRY_OR_REGIONAL = "own_country_or_regional"
    #: Only a regional principal (the region's own decisions: its catalogue, its reserve,
    #: approving allocations); a country's principal reaches nothing.
    REGIONAL_ONLY = "regional_only"


class Action(StrEnum):
    """Everything a principal can attempt. Routes declare one; services check it."""

    REFERENCE_READ = "reference:read"
    ACCOUNT_READ = "account:read"
    ACCOUNT_MANAGE = "account:manage"
    AUDIT_READ = "audit:read"
    OWN_PROFILE = "profile:own"
    # The dialogue channel: meetings, commitments, cooperation projects, UHC, capacity building.
    COOPERATION_READ = "cooperation:read"
    MEETING_WRITE = "meeting:write"
    COMMITMENT_WRITE = "commitment:write"
    PROJECT_WRITE = "project:write"
    UHC_WRITE = "uhc:write"
    TRAINING_WRITE = "training:write"
    TRAINEE_READ = "trainee:read"
    # Surveillance: weekly aggregates are the regional layer; reporting them is a country's.
    SURVEILLANCE_AGGREGATE_READ = "surveillance:aggregate:read"
    SURVEILLANCE_REPORT = "surveillance:report"
    # Case reports and lab results are personal data: they stay with their country.
    CASE_READ = "case:read"
    CASE_REPORT = "case:report"
    # Signals (alarms of the detection methods) are aggregate: the region sees them; the
    # country's officers (and the regional ones) triage them and run detection.
    SIGNAL_READ = "signal:read"
    SIGNAL_TRIAGE = "signal:triage"
    # EOC operations: an event is its country's until shared (the service decides who sees
    # which event); the country's responders (and regional ones) manage it.
    EVENT_READ = "event:read"
    EVENT_MANAGE = "event:manage"
    # Resource mobilisation: the regional stock picture, the catalogue, stock, requests,
    # pledges, allocation plans and shipments.
    RESOURCE_READ = "resource:read"
    CATALOGUE_MANAGE = "resource:catalogue"
    STOCK_MANAGE = "resource:stock"
    RESOURCE_REQUEST = "resource:request"
    RESOURCE_ENDORSE = "resource:endorse"
    RESOURCE_APPROVE = "resource:approve"
    RESOURCE_PLEDGE = "resource:pledge"
    SHIPMENT_MANAGE = "resource:shipment"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    scope: Scope
    #: Records of this action describe people: reading them is audited, denials too.
    personal_data: bool = False


ALL_ROLES = frozenset(Role)

_COOPERATION_EDITORS = frozenset({Role.REGIONAL_ADMIN, Role.SECRETARIAT, Role.FOCAL_POINT})
_SURVEILLANCE_REPORTERS = frozenset(
    {Role.REGIONAL_ADMIN, Role.FOCAL_POINT, Role.EPIDEMIOLOGIST, Role.EOC_OFFICER}
)
_LOGISTICS = frozenset({Role.REGIONAL_ADMIN, Role.LOGISTICS_OFFICER})
_REGIONAL_LOGISTICS = frozenset({Role.REGIONAL_ADMIN, Role.SECRETARIAT, Role.LOGISTICS_OFFICER})
_CASE_READERS = frozenset({Role.FOCAL_POINT, Role.EPIDEMIOLOGIST, Role.EOC_OFFICER})

RULES: dict[Action, Rule] = {
    Action.REFERENCE_READ: Rule(ALL_ROLES, Scope.REGION),
    Action.OWN_PROFILE: Rule(ALL_ROLES, Scope.REGION),
    Action.ACCOUNT_READ: Rule(
        frozenset({Role.REGIONAL_ADMIN, Role.FOCAL_POINT}),
        Scope.OWN_COUNTRY_OR_REGIONAL,
        personal_data=True,
    ),
    Action.ACCOUNT_MANAGE: Rule(
        frozenset({Role.REGIONAL_ADMIN, Role.FOCAL_POINT}),
        Scope.OWN_COUNTRY_OR_REGIONAL,
        personal_data=True,
    ),
    Action.AUDIT_READ: Rule(frozenset({Role.REGIONAL_ADMIN}), Scope.REGION),
    # Cooperation records are regional: everyone reads them.
    Action.COOPERATION_READ: Rule(ALL_ROLES, Scope.REGION),
    # The Secretariat and the administrators keep the record of meetings and projects; a focal
    # point records those of their country.
    Action.MEETING_WRITE: Rule(_COOPERATION_EDITORS, Scope.REGION),
    Action.PROJECT_WRITE: Rule(_COOPERATION_EDITORS, Scope.REGION),
    # A focal point moves the commitments their own country owes, and reports its UHC figures.
    Action.COMMITMENT_WRITE: Rule(_COOPERATION_EDITORS, Scope.OWN_COUNTRY_OR_REGIONAL),
    Action.UHC_WRITE: Rule(_COOPERATION_EDITORS, Scope.OWN_COUNTRY_OR_REGIONAL),
    Action.TRAINING_WRITE: Rule(_COOPERATION_EDITORS, Scope.OWN_COUNTRY_OR_REGIONAL),
    # Trainees are people: their records stay with their country (and the hub's organisers).
    Action.SURVEILLANCE_AGGREGATE_READ: Rule(ALL_ROLES, Scope.REGION),
    Action.SURVEILLANCE_REPORT: Rule(_SURVEILLANCE_REPORTERS, Scope.OWN_COUNTRY_OR_REGIONAL),
    Action.TRAINEE_READ: Rule(
        _COOPERATION_EDITORS, Scope.OWN_COUNTRY_OR_REGIONAL, personal_data=True
    ),
    # Case-level data never leaves its country: not even a regional role reads it (the region
    # sees it rolled up into weekly counts). A regional administrator may load a country's file
    # (the deployment's operator does, from the command line) without reading it back.
    Action.CASE_READ: Rule(_CASE_READERS, Scope.OWN_COUNTRY, personal_data=True),
    Action.CASE_REPORT: Rule(
        _SURVEILLANCE_REPORTERS, Scope.OWN_COUNTRY_OR_REGIONAL, personal_data=True
    ),
    Action.SIGNAL_READ: Rule(ALL_ROLES, Scope.REGION),
    Action.SIGNAL_TRIAGE: Rule(_SURVEILLANCE_REPORTERS, Scope.OWN_COUNTRY_OR_REGIONAL),
    # Who may see an event at all; which events is the sharing's (healthbridge.eoc).
    Action.EVENT_READ: Rule(ALL_ROLES, Scope.REGION),
    Action.EVENT_MANAGE: Rule(_SURVEILLANCE_REPORTERS, Scope.OWN_COUNTRY_OR_REGIONAL),
    # What the region holds and needs is for everyone signed in; changing it is for logistics.
    Action.RESOURCE_READ: Rule(ALL_ROLES, Scope.REGION),
    Action.CATALOGUE_MANAGE: Rule(_REGIONAL_LOGISTICS, Scope.REGIONAL_ONLY),
    # A country's holders by its logistics officers; the reserve's and partners' by regional ones.
    Action.STOCK_MANAGE: Rule(_LOGISTICS, Scope.OWN_COUNTRY_OR_REGIONAL),
    Action.RESOURCE_REQUEST: Rule(
        frozenset(
            {Role.REGIONAL_ADMIN, Role.FOCAL_POINT, Role.EOC_OFFICER, Role.LOGISTICS_OFFICER}
        ),
        Scope.OWN_COUNTRY_OR_REGIONAL,
    ),
    # The asking country's focal point endorses; the region approves and allocates.
    Action.RESOURCE_ENDORSE: Rule(
        frozenset({Role.REGIONAL_ADMIN, Role.FOCAL_POINT}), Scope.OWN_COUNTRY_OR_REGIONAL
    ),
    Action.RESOURCE_APPROVE: Rule(_REGIONAL_LOGISTICS, Scope.REGIONAL_ONLY),
    Action.RESOURCE_PLEDGE: Rule(
        frozenset({Role.REGIONAL_ADMIN, Role.FOCAL_POINT, Role.LOGISTICS_OFFICER}),
        Scope.OWN_COUNTRY_OR_REGIONAL,
    ),
    Action.SHIPMENT_MANAGE: Rule(_LOGISTICS, Scope.OWN_COUNTRY_OR_REGIONAL),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, a machine client's token, or the operator's CLI."""

    email: str
    role: Role
    country: str | None
    user_id: int | None = None
    token_id: int | None = None
    via: str = "token"

    @property
    def is_regional(self) -> bool:
        return self.country is None

    @property
    def actor_label(self) -> str:
        return f"{self.email} ({self.via})"


def operator_principal(name: str = "operator") -> Principal:
    """The principal of the command line, run by whoever operates the deployment."""
    return Principal(email=name, role=Role.REGIONAL_ADMIN, country=None, via="cli")


def rule_for(action: Action) -> Rule | None:
    """The rule of ``action``, or ``None`` when none was written (then everything is denied)."""
    return RULES.get(action)


def is_allowed(actor: Principal, action: Action, *, country: str | None = None) -> bool:
    """Whether ``actor`` may perform ``action`` on a record of ``country`` (None: not scoped)."""
    rule = RULES.get(action)
    if rule is None or actor.role not in rule.roles:
        return False
    if rule.scope is Scope.REGIONAL_ONLY:
        return actor.is_regional
    if rule.scope is Scope.REGION or (country is None and rule.scope is not Scope.OWN_COUNTRY):
        return True
    if rule.scope is Scope.OWN_COUNTRY:
        return actor.country is not None and actor.country == country
    return actor.is_regional or actor.country == country


def authorize(
    actor: Principal,
    action: Action,
    *,
    country: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> None:
    """Raise :class:`Forbidden` unless ``actor`` may do ``action`` on a record of ``country``."""
    if is_allowed(actor, action, country=country):
        return
    raise Forbidden(
        _denial_text(actor, action, country),
        context=DenialContext(
            action=str(action), object_type=object_type, object_id=object_id, country=country
        ),
    )


def visible_countries(actor: Principal, action: Action) -> frozenset[str] | None:
    """Countries whose records a list may show: ``None`` means every country.

    Raises :class:`Forbidden` when the actor may not perform the action at all.
    """
    rule = RULES.get(action)
    if rule is None or actor.role not in rule.roles:
        authorize(actor, action)
    assert rule is not None
    if rule.scope is Scope.REGION:
        return None
    if rule.scope in (Scope.OWN_COUNTRY_OR_REGIONAL, Scope.REGIONAL_ONLY) and actor.is_regional:
        return None
    if rule.scope is Scope.REGIONAL_ONLY:
        return frozenset()
    return frozenset({actor.country}) if actor.country else frozenset()


def is_personal(action: Action) -> bool:
    """Whether reads under ``action`` touch records about people (and so are audited)."""
    rule = RULES.get(action)
    return bool(rule and rule.personal_data)


def _denial_text(actor: Principal, action: Action, country: str | None) -> str:
    rule = RULES.get(action)
    if rule is None:
        return f"no policy allows '{action}'"
    if actor.role not in rule.roles:
        return f"the role '{actor.role}' may not perform '{action}'"
    if rule.scope is Scope.REGIONAL_ONLY:
        return f"only regional users may perform '{action}'"
    return f"records of {country} are outside the scope of {actor.country or 'the region'}"
