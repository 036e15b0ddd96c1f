"""The action plan: actions under each improvement area, their dated updates, and the
quotes an organiser approved for publication. Each operation records its audit entry and
commits once."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.actions import emails
from webapp.actions.models import Action, ActionStatus, ActionUpdate, Quote
from webapp.audit import AuditAction, record
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import Answer, Response
from webapp.programmes.models import Finding, FindingKind, Programme
from webapp.results.services import COMMENT_ORDER, comments_query
from webapp.themes.models import Theme
from webapp.themes.services import themes as programme_themes

if TYPE_CHECKING:
    from webapp.auth.models import User


class ActionPlanError(Exception):
    """An action plan change that cannot be made (the message says why)."""


def plan(programme: Programme) -> list[tuple[Finding, list[Action]]]:
    """Each improvement area of the programme with its actions, in order."""
    areas = programme.findings_of(FindingKind.ACTION)
    actions = db.session.scalars(
        sa.select(Action).where(Action.area_id.in_([area.id for area in areas]))
        .options(selectinload(Action.findings), selectinload(Action.themes), selectinload(Action.updates))
        .order_by(Action.position, Action.id)).all()
    by_area: dict[int, list[Action]] = {area.id: [] for area in areas}
    for action in actions:
        by_area[action.area_id].append(action)
    return [(area, by_area[area.id]) for area in areas]


def all_actions(programme: Programme) -> list[Action]:
    return [action for _area, actions in plan(programme) for action in actions]


def linkable_findings(programme: Programme) -> list[Finding]:
    """What an action can answer: the indicators and the areas for improvement."""
    return [finding for finding in programme.findings
            if finding.kind in (FindingKind.INDICATOR, FindingKind.IMPROVEMENT_AREA)]


def _area(programme: Programme, area_id: int) -> Finding:
    area = db.session.get(Finding, area_id)
    if area is None or area.programme_id != programme.id or area.kind != FindingKind.ACTION:
        raise ActionPlanError("Choose one of this programme's improvement areas")
    return area


def _findings(programme: Programme, finding_ids: list[int]) -> list[Finding]:
    allowed = {finding.id: finding for finding in linkable_findings(programme)}
    if any(finding_id not in allowed for finding_id in finding_ids):
        raise ActionPlanError("Link only this programme's indicators and areas for improvement")
    return [allowed[finding_id] for finding_id in dict.fromkeys(finding_ids)]


def _themes(programme: Programme, theme_ids: list[int]) -> list[Theme]:
    allowed = {theme.id: theme for theme in programme_themes(programme)}
    if any(theme_id not in allowed for theme_id in theme_ids):
        raise ActionPlanError("Link only this programme's themes")
    return [allowed[theme_id] for theme_id in dict.fromkeys(theme_ids)]


def _apply(action: Action, programme: Programme, *, area_id: int, title: str, owner: str, due_on: date | None,
           status: ActionStatus | str, progress: str, finding_ids: list[int],
           theme_ids: list[int] | None = None) -> None:
    area = _area(programme, area_id)
    if action.area_id != area.id:
        siblings = db.session.scalars(sa.select(Action.position).where(Action.area_id == area.id)).all()
        action.position = max(siblings, default=0) + 1
    action.area = area
    action.title = title.strip()
    action.owner = owner.strip()
    action.due_on = due_on
    action.status = ActionStatus(status)
    action.progress = progress.strip()
    action.findings = _findings(programme, finding_ids)
    action.themes = _themes(programme, theme_ids or [])


def add_action(programme: Programme, *, actor: User | None = None, **fields) -> Action:
    action = Action()
    _apply(action, programme, **fields)
    db.session.add(action)
    db.session.flush()
    record(actor, AuditAction.ACTION_ADDED, f"action:{action.id}", action.title)
    db.session.commit()
    return action


def update_action(action: Action, *, actor: User | None = None, **fields) -> None:
    _apply(action, action.area.programme, **fields)
    record(actor, AuditAction.ACTION_CHANGED, f"action:{action.id}", action.title)
    db.session.commit()


def remove_action(action: Action, *, actor: User | None = None) -> None:
    record(actor, AuditAction.ACTION_REMOVED, f"action:{action.id}", action.title)
    db.session.delete(action)
    db.session.commit()


def add_update(action: Action, text: str, written_on: date, *, status: ActionStatus | str | None = None,
               notify_attendees: bool = False, actor: User | None = None) -> tuple[ActionUpdate, int]:
    """Publish a dated update (and the action's new status, if given); with
    notify_attendees, everyone who attended a session of the programme is emailed it
    (queued in the same transaction). Returns the update and how many emails were queued."""
    update = ActionUpdate(action=action, text=text.strip(), written_on=written_on)
    if status:
        action.status = ActionStatus(status)
    db.session.add(update)
    db.session.flush()
    queued = emails.queue_update_to_attendees(action.area.programme, update) if notify_attendees else 0
    record(actor, AuditAction.ACTION_UPDATE_PUBLISHED, f"action:{action.id}", f"update {update.id}, {queued} emails")
    db.session.commit()
    return update, queued


def remove_update(update: ActionUpdate, *, actor: User | None = None) -> None:
    record(actor, AuditAction.ACTION_UPDATE_REMOVED, f"action:{update.action_id}", f"update {update.id}")
    db.session.delete(update)
    db.session.commit()


# ---------------------------------------------------------------------------
# Quotes: only what an organiser approved, word for word
# ---------------------------------------------------------------------------

def quotes(programme: Programme, *, published_only: bool = False) -> list[Quote]:
    query = sa.select(Quote).where(Quote.programme_id == programme.id)
    if published_only:
        query = query.where(Quote.published.is_(True))
    return list(db.session.scalars(query.order_by(Quote.id)))


def approve_quote(programme: Programme, text: str, *, answer_id: int | None = None,
                  actor: User | None = None) -> Quote:
    """Publish `text` (the comment as the organiser approved it, trimmed of anything that
    could identify someone)."""
    text = text.strip()
    if not text:
        raise ActionPlanError("Enter the words to publish")
    if answer_id is not None and not _is_comment_of(programme, answer_id):
        raise ActionPlanError("That comment is not one of this programme's")
    quote = db.session.scalar(sa.select(Quote).where(Quote.answer_id == answer_id)) if answer_id else None
    if quote is None:
        quote = Quote(programme_id=programme.id, answer_id=answer_id)
        db.session.add(quote)
    quote.text = text
    quote.published = True
    quote.approved_at = utcnow()
    db.session.flush()
    record(actor, AuditAction.QUOTE_APPROVED, f"quote:{quote.id}", f"programme {programme.id}")
    db.session.commit()
    return quote


def _is_comment_of(programme: Programme, answer_id: int) -> bool:
    session_ids = [session.id for session in programme.sessions]
    return db.session.scalar(
        sa.select(Answer.id).join(Response, Response.id == Answer.response_id)
        .where(Answer.id == answer_id, Answer.text.is_not(None), Response.session_id.in_(session_ids or [-1]),
               Response.included)
    ) is not None


def withdraw_quote(quote: Quote, *, actor: User | None = None) -> None:
    quote.published = False
    record(actor, AuditAction.QUOTE_WITHDRAWN, f"quote:{quote.id}", f"programme {quote.programme_id}")
    db.session.commit()


QUOTE_CANDIDATES = 50


def comments_to_quote(programme: Programme, search: str = "") -> list[tuple[int, str, str]]:
    """The newest comments (answer id, text, question) an organiser may choose from."""
    session_ids = [session.id for session in programme.sessions]
    rows = db.session.execute(comments_query(session_ids, search).order_by(*COMMENT_ORDER).limit(QUOTE_CANDIDATES))
    return [(row[-1], row[0], row[2]) for row in rows]
