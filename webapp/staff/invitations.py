"""Inviting the people listed who have not yet been reached to a chosen session (the
mop-up), through the job queue; each gets a personal link that fills in the booking form
and lets them say the briefing does not apply to them."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa
from flask import render_template

from webapp import mail
from webapp.audit import AuditAction, record
from webapp.auth.models import User
from webapp.bookings.models import Registration
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail
from webapp.jobs.outbox import counts_by_status, queue_email, renderer
from webapp.links import public_url
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession
from webapp.staff.coverage import not_reached_members
from webapp.staff.models import NotApplicable, StaffInvitation, StaffMember
from webapp.text import clean_text


@dataclass
class InvitationPlan:
    people: list[StaffMember]
    skipped_already_invited: int


def plan(programme: Programme, session: EventSession, *, without_booking: bool, again: bool) -> InvitationPlan:
    """Who would be invited: listed, not attended (and, as chosen, not booked), not yet
    invited to this session unless `again`."""
    people = list(db.session.scalars(not_reached_members(programme, without_booking=without_booking)))
    invited = set(db.session.scalars(
        sa.select(StaffInvitation.staff_member_id).where(StaffInvitation.session_id == session.id)))
    if again:
        return InvitationPlan(people=people, skipped_already_invited=0)
    fresh = [person for person in people if person.id not in invited]
    return InvitationPlan(people=fresh, skipped_already_invited=len(people) - len(fresh))


def invite(programme: Programme, session: EventSession, actor: User, *, without_booking: bool,
           again: bool) -> int:
    """Queue an invitation to each person in the plan, in one transaction with its audit
    entry. Returns how many were queued."""
    people = plan(programme, session, without_booking=without_booking, again=again).people
    existing = {invitation.staff_member_id: invitation for invitation in db.session.scalars(
        sa.select(StaffInvitation).where(StaffInvitation.session_id == session.id))}
    now = utcnow()
    for person in people:
        invitation = existing.get(person.id)
        if invitation is None:
            invitation = StaffInvitation(staff_member_id=person.id, session_id=session.id, invited_by=actor.id,
                                         invited_at=now)
            db.session.add(invitation)
        else:
            invitation.times_sent += 1
            invitation.invited_at = now
        db.session.flush()
        queue_email(EmailKind.STAFF_INVITATION, person.email, session_id=session.id,
                    context={"invitation_id": invitation.id},
                    dedupe_key=f"staff-invitation:{invitation.id}:{invitation.times_sent}")
    record(actor, AuditAction.STAFF_INVITED, f"session:{session.id}", f"{len(people)} people invited")
    db.session.commit()
    return len(people)


@dataclass
class InvitationResults:
    invited: int
    sent: int
    pending: int
    failed: int
    booked_since: int


def results(session: EventSession) -> InvitationResults:
    counts = counts_by_status(OutboundEmail.session_id == session.id,
                              OutboundEmail.kind == EmailKind.STAFF_INVITATION)
    invited = sa.select(StaffMember.email, StaffInvitation.invited_at).join(
        StaffInvitation, StaffInvitation.staff_member_id == StaffMember.id).where(
        StaffInvitation.session_id == session.id).subquery()
    booked = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Registration.id)))
        .join(invited, invited.c.email == Registration.email)
        .join(EventSession, EventSession.id == Registration.session_id)
        .where(EventSession.programme_id == session.programme_id, Registration.created_at >= invited.c.invited_at)
    ) or 0
    total = db.session.scalar(sa.select(sa.func.count()).select_from(invited)) or 0
    return InvitationResults(
        invited=total, sent=counts[DeliveryStatus.SENT],
        pending=counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.SENDING],
        failed=counts[DeliveryStatus.FAILED], booked_since=booked)


def invitation_by_token(token: str) -> StaffInvitation | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(StaffInvitation).where(StaffInvitation.token == token))


def prefill(invitation: StaffInvitation) -> dict:
    """What the booking form is filled in with from a personal link."""
    person = invitation.staff_member
    return {"name": person.name, "email": person.email, "team": person.team, "locality": person.locality,
            "organisation": person.organisation}


def does_not_apply(invitation: StaffInvitation, answer: NotApplicable) -> None:
    """The person says the briefing does not apply to them; coverage counts it."""
    invitation.staff_member.not_applicable = answer
    invitation.staff_member.updated_at = utcnow()
    db.session.commit()


@renderer(EmailKind.STAFF_INVITATION)
def _invitation_email(message: OutboundEmail) -> EmailMessage | None:
    invitation = db.session.get(StaffInvitation, message.context.get("invitation_id"))
    if invitation is None or invitation.staff_member.not_applicable is not None:
        return None
    session = db.session.get(EventSession, invitation.session_id)
    if session is None or not session.is_bookable():
        return None  # cancelled, full of time, or closed since: the link would lead nowhere
    person = invitation.staff_member
    email = mail.new_message(person.email, f"Invitation: {session.title}")
    values = dict(person=person, session=session, programme=session.programme,
                  book_url=public_url("bookings.register", session_id=session.id, invitation=invitation.token),
                  answer_url=public_url("staff.answer", token=invitation.token))
    email.set_content(clean_text(render_template("emails/staff_invitation.txt", **values)))
    return email
