"""Browser tests: Debian's Chromium driven by Playwright against a live server.

They run when Chromium is installed (`.ci/run` installs it) and are skipped, with a
reason that says so in the test summary, when it is not."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from webapp.auth.models import Role
from webapp.demo.services import add_synthetic_responses
from webapp.extensions import db
from webapp.programmes.models import Programme

# Chromium's headless shell (Debian's chromium-headless-shell, what Playwright itself runs
# headless) when installed: the full browser costs twice the CPU for the same pages.
CHROMIUM = (os.environ.get("CHROMIUM") or shutil.which("chromium-headless-shell") or shutil.which("chromium")
            or "/usr/bin/chromium")
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: browser tests SKIPPED "
                    "(apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


# How long an action (a click, a fill, a page load) may wait: 10 s was once not enough on a
# loaded CI machine (Continue on the phone form, while another worker's browser audited pages).
ACTION_TIMEOUT_MS = 20_000


def new_context(browser, **options):
    """A browser context (options as Playwright's new_context) whose actions wait ACTION_TIMEOUT_MS."""
    context = browser.new_context(**options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


@pytest.fixture
def phone(browser):
    context = new_context(browser, **PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = new_context(browser, **DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def csp_violations(request):
    """CSP violations reported on the console of the pages the test uses (`phone`,
    `desktop` or both: a browser context it does not use is not opened for this)."""
    messages: list[str] = []

    def record(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            messages.append(message.text)

    for name in ("phone", "desktop"):
        if name in request.fixturenames:
            request.getfixturevalue(name).on("console", record)
    return messages


def assert_accessible(page, context: str = "") -> None:
    """axe-core on the current page: no violations at the WCAG 2.2 A and AA tags."""
    # Loaded through DevTools on the pages it checks (the page's strict CSP still applies to
    # the app's own code), not into every page the browser tests open.
    if page.evaluate("typeof axe === 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async tags => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS
    )
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                    for node in violation["nodes"][:5])
        for violation in result["violations"]
    ]
    assert not problems, f"accessibility violations on {context or page.url}:\n" + "\n".join(problems)


def audit(page, url: str | None, label: str, problems: list[str]) -> None:
    """Open url (unless None: the page as it is) and add what axe finds to problems."""
    if url is not None:
        response = page.goto(url)
        assert response is not None and response.status < 500, f"{label}: {url} answered {response.status}"
    try:
        assert_accessible(page, label)
    except AssertionError as error:
        problems.append(str(error))
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append(f"{label}: wider than the screen ({page.viewport_size['width']} px)")


def check(problems: list[str], csp_violations: list[str]) -> None:
    assert not problems, "\n\n".join(problems)
    assert not csp_violations, "\n".join(csp_violations)


@pytest.fixture
def with_results(app, demo):
    """The demo programme with 60 synthetic responses: its id."""
    with app.app_context():
        add_synthetic_responses(db.session.get(Programme, demo), 60, seed=6)
    return demo


@dataclass(frozen=True)
class OrganiserPages:
    programme_id: int
    base: str  # the programme's organiser pages: {live_server}/organiser/programmes/<id>


@pytest.fixture
def organiser_pages(live_server, with_results, desktop, make_user) -> OrganiserPages:
    """The demo programme with results, and an organiser signed in on `desktop`."""
    sign_in(desktop, live_server, make_user(Role.ORGANISER).email, PASSWORD)
    return OrganiserPages(with_results, f"{live_server}/organiser/programmes/{with_results}")


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organiser/**")


def press_continue(page) -> None:
    """Continue, then wait for the next step (or the same one, with its errors)."""
    progress = page.locator(".app-feedback__progress")
    before = progress.inner_text()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_function(
        "before => { const p = document.querySelector('.app-feedback__progress');"
        " return !p || p.innerText !== before || document.querySelector('.govuk-error-summary'); }",
        arg=before)


def continue_until(page, locator) -> None:
    """Press Continue on each step until `locator` is on the page."""
    while not locator.count():
        press_continue(page)


def continue_to_check(page) -> None:
    continue_until(page, page.get_by_role("button", name="Send feedback"))
