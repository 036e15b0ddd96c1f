"""The workbook build page in a real browser: accessible and CSP-clean while building
and when ready, and (with JavaScript) it shows the file without a reload once a worker
has built it."""
from __future__ import annotations

import re

from tests.browser.conftest import audit, check, sign_in
from tests.conftest import PASSWORD
from webapp.auth.models import Role
from webapp.demo.services import add_synthetic_responses
from webapp.extensions import db
from webapp.programmes.models import Programme


def test_the_build_page_shows_the_file_when_the_worker_has_built_it(live_server, app, demo, desktop, make_user,
                                                                     csp_violations, run_jobs, tmp_path):
    app.config.update(WORKBOOK_STREAM_BELOW=10, EXPORTS_DIR=str(tmp_path / "exports"))
    with app.app_context():
        add_synthetic_responses(db.session.get(Programme, demo), 20, seed=3)
    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, organiser.email, PASSWORD)
    problems: list[str] = []
    audit(desktop, f"{live_server}/organiser/programmes/{demo}/workbook.xlsx", "workbook being built", problems)
    assert re.search(r"/workbook/\d+$", desktop.url)
    assert "being built" in desktop.inner_text("#build-status")
    desktop.evaluate("() => { window.notReloaded = true; }")  # gone if the page reloads
    run_jobs()
    desktop.wait_for_selector("#build-status a[href$='/download']", timeout=15_000)
    assert desktop.evaluate("window.notReloaded") is True
    audit(desktop, None, "workbook ready", problems)
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="Download the workbook (.xlsx)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    check(problems, csp_violations)
