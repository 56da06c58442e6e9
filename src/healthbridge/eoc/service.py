"""The EOC's public service: what other domains (and this one's routes, pages and commands)
call. The work is in :mod:`~healthbridge.eoc.lifecycle` (opening and moving events),
:mod:`~healthbridge.eoc.sharing` (who sees which event) and :mod:`~healthbridge.eoc.queries`
(the board, one event, links)."""

from __future__ import annotations

from healthbridge.eoc.lifecycle import (
    STEPS,
    NewEvent,
    allowed_actions,
    create_event,
    set_areas,
    transition,
)
from healthbridge.eoc.queries import (
    EventFilter,
    add_link,
    check_filter,
    count_by_status,
    get_event,
    list_events,
    remove_link,
)
from healthbridge.eoc.sharing import (
    LINKS_SHOWN,
    can_manage,
    can_see,
    latest_links,
    link_page,
    sees_case_links,
    share_event,
    unshare_event,
    visible_links,
)

__all__ = [
    "LINKS_SHOWN",
    "STEPS",
    "EventFilter",
    "NewEvent",
    "add_link",
    "allowed_actions",
    "can_manage",
    "can_see",
    "check_filter",
    "count_by_status",
    "create_event",
    "get_event",
    "latest_links",
    "link_page",
    "list_events",
    "remove_link",
    "sees_case_links",
    "set_areas",
    "share_event",
    "transition",
    "unshare_event",
    "visible_links",
]
