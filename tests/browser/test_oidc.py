"""Single sign-on in a real browser (issue 18): Chromium goes from the sign-in page to the test
provider (tests/oidc/provider.js) and back signed in, then signs out of both."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.oidc_helpers import PROVIDER_PASSWORD
from webapp.auth.models import Role


@pytest.fixture
def app_config(oidc_provider):
    return {"OIDC_ISSUER": oidc_provider.issuer, "OIDC_CLIENT_ID": "registered-below",
            "OIDC_CLIENT_SECRET": "registered-below", "OIDC_PROVIDER_NAME": "Test provider"}


def test_an_organiser_signs_in_and_out_with_the_provider(app, live_server, oidc_provider, desktop,
                                                         make_user, csp_violations):
    oidc_provider.register_client(app)  # for the live server's own address
    make_user(Role.ORGANISER, email="olu@example.org")
    page = desktop

    page.goto(f"{live_server}/organiser/programmes")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert_accessible(page, "sign-in page with single sign-on")
    page.get_by_role("button", name="Sign in with Test provider").click()

    page.get_by_label("Provider email").fill("olu@example.org")
    page.get_by_label("Provider password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server}/organiser/programmes")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Programmes")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/signed-out")
    assert_accessible(page, "signed-out page")
    page.get_by_role("button", name="Sign out of Test provider").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(f"{live_server}/login")))
    page.goto(f"{live_server}/organiser/programmes")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    # Signed out at the provider too: signing in again asks for the password.
    page.get_by_role("button", name="Sign in with Test provider").click()
    expect(page.get_by_label("Provider password")).to_be_visible()
    assert csp_violations == []
