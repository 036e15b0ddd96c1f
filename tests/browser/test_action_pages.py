"""axe-core (WCAG 2.2 A/AA) and no CSP violation on the action plan pages and the public
"You said, we did" page, as organisers and staff meet them."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.browser.conftest import audit, check
from webapp.actions import services
from webapp.actions.models import Action
from webapp.extensions import db
from webapp.programmes.models import Programme


def test_action_plan_and_you_said_we_did(live_server, app, organiser_pages, desktop, phone, csp_violations):
    with app.app_context():
        programme = db.session.get(Programme, organiser_pages.programme_id)
        action = db.session.scalars(sa.select(Action).order_by(Action.id)).first()
        services.add_update(action, "Chronologies are now shared between agencies.", date(2027, 2, 1),
                            status="on_track")
        services.approve_quote(programme, "More time for direct work with families.")
        action_id, slug = action.id, programme.slug
    base = organiser_pages.base
    problems: list[str] = []
    for path, label in [
        (f"{base}/actions", "action plan"),
        (f"{base}/actions/new", "new action form"),
        (f"{base}/actions/{action_id}/edit", "action form"),
        (f"{base}/actions/{action_id}/updates/new", "publish an update"),
        (f"{base}/actions/{action_id}/delete", "remove an action"),
        (f"{base}/quotes", "quotes to publish"),
        (f"{base}/report", "board report"),
    ]:
        audit(desktop, path, label, problems)
    desktop.goto(f"{base}/actions/new")
    desktop.get_by_role("button", name="Add action").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "new action form with errors", problems)
    audit(phone, f"{live_server}/programmes/{slug}/you-said-we-did", "you said, we did (phone)", problems)
    audit(desktop, f"{live_server}/programmes/{slug}/you-said-we-did", "you said, we did", problems)
    check(problems, csp_violations)
