"""Public and organiser pages in a real browser: accessible, phone-friendly, CSP-clean."""
import pytest

from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import PASSWORD
from webapp.auth.models import Role

PUBLIC_PAGES = ["/", "/login", "/privacy", "/no-such-page"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible_on_a_phone(live_server, demo, phone, csp_violations, path):
    phone.goto(live_server + path)
    assert_accessible(phone)
    # nothing wider than the phone's screen
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not csp_violations


def test_organiser_pages_are_accessible(live_server, demo, desktop, make_user, csp_violations):
    user = make_user(Role.ADMIN)
    sign_in(desktop, live_server, user.email, PASSWORD)
    for path in ["/organiser/programmes", f"/organiser/programmes/{demo}",
                 f"/organiser/programmes/{demo}/edit", f"/organiser/programmes/{demo}/findings/new",
                 "/organiser/users", "/organiser/account/password"]:
        desktop.goto(live_server + path)
        assert_accessible(desktop, path)
    assert not csp_violations


def test_a_form_with_errors_is_accessible_and_keeps_answers(live_server, demo, desktop, make_user):
    user = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, user.email, PASSWORD)
    desktop.goto(f"{live_server}/organiser/programmes/{demo}/findings/new?kind=indicator")
    desktop.get_by_label("Finding", exact=True).fill("Impact on staff")
    desktop.get_by_role("button", name="Add finding").click()
    summary = desktop.locator(".govuk-error-summary")
    assert "Enter the headline question" in summary.inner_text()
    assert desktop.get_by_label("Finding", exact=True).input_value() == "Impact on staff"
    assert desktop.title().startswith("Error:")
    assert_accessible(desktop, "finding form with errors")


def test_sign_in_and_out_with_the_keyboard(live_server, phone, make_user):
    user = make_user(Role.VIEWER)
    phone.goto(f"{live_server}/login")
    phone.keyboard.press("Tab")  # the skip link comes first
    assert phone.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    phone.get_by_label("Email address").fill(user.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/organiser/programmes")
    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url("**/login")
    assert "You have signed out" in phone.content()
