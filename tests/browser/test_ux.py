"""What people hit when they use it (issue 13), in a real browser: the invitation's copy
button, the find-my-booking page, date inputs under a US English browser, and the demo's
session answered from its poster's QR code straight after `make run`."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import PASSWORD
from webapp.auth.models import Role


def test_invitation_link_has_a_copy_button(live_server, desktop, make_user, csp_violations):
    admin = make_user(Role.ADMIN)
    page = desktop
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server}/organiser/users/invite")
    page.get_by_label("Email address").fill("new.organiser@example.org")
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", name="Invitation created")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    assert link.startswith(f"{live_server}/account/setup/")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_accessible(page, "invitation created")
    assert not csp_violations
