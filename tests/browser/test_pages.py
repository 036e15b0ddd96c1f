"""Public and organiser pages in a real browser: accessible, phone-friendly, CSP-clean."""
import pytest

from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import PASSWORD
from webapp.auth.models import Role

# Every public and organiser page's accessibility check is in test_accessibility.py.


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


def test_the_accessibility_check_finds_a_known_fault(phone):
    """assert_accessible loads axe-core itself and reports a violation (an image without
    alternative text), so the checks above can fail."""
    phone.set_content('<!DOCTYPE html><html lang="en"><title>Fault</title><main><img src="x.png"></main></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(phone, "a page with a fault")


def test_a_csp_violation_is_caught(live_server, phone, csp_violations):
    """The Content-Security-Policy refuses an inline script, and csp_violations hears of
    it, so the checks that assert there are none can fail."""
    phone.goto(f"{live_server}/privacy")
    with pytest.raises(Exception):  # noqa: B017 - Playwright reports the refused script as an error
        phone.add_script_tag(content="document.title = 'injected'")
    phone.wait_for_timeout(200)
    assert phone.title() != "injected"
    assert any("Content Security Policy" in message for message in csp_violations), csp_violations
