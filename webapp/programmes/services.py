"""Programmes and their findings: create, edit, reorder, remove, open and close."""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import sqlalchemy as sa

from webapp.audit import AuditAction, record
from webapp.extensions import db
from webapp.ordering import move_one_place
from webapp.programmes.models import DEFAULT_REMINDER_HOURS, Finding, FindingKind, Programme

if TYPE_CHECKING:
    from webapp.auth.models import User


def slugify(text: str, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "programme"


def unique_slug(title: str) -> str:
    base = slugify(title)
    slug, number = base, 2
    while db.session.scalar(sa.select(Programme.id).where(Programme.slug == slug)):
        slug, number = f"{base}-{number}", number + 1
    return slug


def list_programmes() -> list[Programme]:
    return list(
        db.session.scalars(sa.select(Programme).order_by(Programme.is_open.desc(), Programme.title))
    )


def create_programme(title: str, summary: str = "", allows_several_places: bool = False, *,
                     reminder_hours: str = DEFAULT_REMINDER_HOURS, actor: User | None = None) -> Programme:
    programme = Programme(title=title.strip(), summary=summary.strip(), slug=unique_slug(title),
                          reminder_hours=reminder_hours, allows_several_places=allows_several_places)
    db.session.add(programme)
    db.session.flush()
    record(actor, AuditAction.PROGRAMME_CREATED, f"programme:{programme.id}", programme.title)
    db.session.commit()
    return programme


def update_programme(programme: Programme, title: str, summary: str, allows_several_places: bool = False, *,
                     reminder_hours: str | None = None, actor: User | None = None) -> None:
    programme.title = title.strip()
    programme.summary = summary.strip()
    programme.allows_several_places = allows_several_places
    if reminder_hours is not None:
        programme.reminder_hours = reminder_hours
    record(actor, AuditAction.PROGRAMME_CHANGED, f"programme:{programme.id}", programme.title)
    db.session.commit()


def set_open(programme: Programme, is_open: bool, *, actor: User | None = None) -> None:
    programme.is_open = is_open
    record(actor, AuditAction.PROGRAMME_OPENED if is_open else AuditAction.PROGRAMME_CLOSED,
           f"programme:{programme.id}", programme.title)
    db.session.commit()


def _siblings(programme: Programme, kind: str) -> list[Finding]:
    return [finding for finding in programme.findings if finding.kind == kind]


def add_finding(programme: Programme, *, actor: User | None = None, **fields) -> Finding:
    siblings = _siblings(programme, fields["kind"])
    position = max((finding.position for finding in siblings), default=0) + 1
    finding = Finding(programme=programme, position=position, **_clean(fields))
    db.session.add(finding)
    db.session.flush()
    record(actor, AuditAction.FINDING_ADDED, f"finding:{finding.id}", finding.title)
    db.session.commit()
    return finding


def update_finding(finding: Finding, *, actor: User | None = None, **fields) -> None:
    old_kind = finding.kind
    for name, value in _clean(fields).items():
        setattr(finding, name, value)
    if finding.kind != old_kind:
        others = _siblings(finding.programme, finding.kind)
        finding.position = max((other.position for other in others if other is not finding), default=0) + 1
    record(actor, AuditAction.FINDING_CHANGED, f"finding:{finding.id}", finding.title)
    db.session.commit()


def _clean(fields: dict) -> dict:
    cleaned = {name: (value.strip() if isinstance(value, str) else value) for name, value in fields.items()}
    if cleaned.get("kind") != FindingKind.INDICATOR:
        # Only indicators have a headline question and a grade.
        cleaned["headline_question"] = None
        cleaned["grade"] = None
    return cleaned


def move_finding(finding: Finding, direction: str) -> None:
    """Swap a finding with its neighbour of the same kind; positions are renumbered 1..n."""
    move_one_place(_siblings(finding.programme, finding.kind), finding, direction)
    db.session.commit()


def remove_finding(finding: Finding, *, actor: User | None = None) -> None:
    """Questions that asked about it keep their wording and their answers."""
    record(actor, AuditAction.FINDING_REMOVED, f"finding:{finding.id}", finding.title)
    db.session.delete(finding)
    db.session.commit()
