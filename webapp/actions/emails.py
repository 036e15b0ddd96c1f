""""You said, we did": an update published on the action plan, emailed to the people who
came to a session of the programme (queued by actions.services.add_update, composed by the
worker)."""
from __future__ import annotations

from email.message import EmailMessage

import sqlalchemy as sa

from webapp.actions.models import ActionUpdate
from webapp.bookings.emails import _compose, _registration_of, queue
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.jobs.outbox import renderer
from webapp.links import public_url
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession


def queue_update_to_attendees(programme: Programme, update: ActionUpdate) -> int:
    """Queue the update to everyone who attended a session of the programme (once each)."""
    people = db.session.scalars(
        sa.select(Registration).join(EventSession, EventSession.id == Registration.session_id)
        .where(EventSession.programme_id == programme.id, Registration.checked_in_at.is_not(None),
               Registration.purged_at.is_(None), Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.id))
    queued, seen = 0, set()
    for registration in people:
        address = registration.address.strip().lower()
        if address in seen:  # came to two sessions: one email
            continue
        seen.add(address)
        if queue(EmailKind.ACTION_UPDATE, registration, dedupe_key=f"action-update:{update.id}:{registration.id}",
                 update_id=update.id):
            queued += 1
    return queued


@renderer(EmailKind.ACTION_UPDATE)
def _action_update(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    update = db.session.get(ActionUpdate, message.context.get("update_id"))
    if registration is None or update is None:
        return None  # the update was taken down before the email left
    programme = registration.session.programme
    return _compose(registration, "action_update", f"You said, we did: {programme.title}", update=update,
                    action=update.action, programme=programme,
                    page_url=public_url("actions.you_said_we_did", slug=programme.slug))
