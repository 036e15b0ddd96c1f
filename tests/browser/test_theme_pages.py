"""axe-core (WCAG 2.2 A/AA) and no CSP violation on the themes pages: the coding frame,
the tagging page (used with the keyboard alone), the suggestions (being prepared, then
ready) and the theme counts on the results and public pages."""
from __future__ import annotations

import sqlalchemy as sa

from tests.browser.conftest import audit, check
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.themes import services
from webapp.themes.models import theme_tag


def test_theme_pages(live_server, app, organiser_pages, desktop, phone, run_jobs, csp_violations):
    with app.app_context():
        programme = db.session.get(Programme, organiser_pages.programme_id)
        workload = services.add_theme(programme, "Caseloads and workload", "Too many cases for the time there is")
        services.add_theme(programme, "Joint working")
        page = services.tagging_page(programme)
        services.save_tags(programme, [c.answer_id for c in page.items],
                           [(c.answer_id, workload.id) for c in page.items[:8]])
        theme_id, slug = workload.id, programme.slug
    base = organiser_pages.base
    problems: list[str] = []
    for path, label in [
        (f"{base}/themes", "coding frame"),
        (f"{base}/themes/new", "new theme form"),
        (f"{base}/themes/{theme_id}/edit", "rename a theme"),
        (f"{base}/themes/{theme_id}/merge", "merge a theme"),
        (f"{base}/themes/{theme_id}/delete", "delete a theme"),
        (f"{base}/themes/tag", "tagging page"),
        (f"{base}/themes/suggestions", "suggestions, none yet"),
        (f"{base}/results", "results with theme counts"),
    ]:
        audit(desktop, path, label, problems)
    desktop.goto(f"{base}/themes/new")
    desktop.get_by_role("button", name="Add theme").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "new theme form with errors", problems)

    # The keyboard alone: tick the first comment's second theme and save the page.
    desktop.goto(f"{base}/themes/tag?show=untagged")
    first = desktop.locator("input[name=tags]").nth(1)
    value = first.get_attribute("value")
    first.focus()
    desktop.keyboard.press("Space")
    desktop.get_by_role("button", name="Save the themes of these").focus()
    desktop.keyboard.press("Enter")
    desktop.wait_for_selector(".govuk-notification-banner--success")
    answer_id, tagged_theme = (int(part) for part in value.split(":"))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(theme_tag).where(
            theme_tag.c.answer_id == answer_id, theme_tag.c.theme_id == tagged_theme)) == 1

    desktop.goto(f"{base}/themes/suggestions")
    desktop.get_by_role("button", name="Suggest themes").click()
    desktop.wait_for_selector("text=Suggestions are being prepared")
    audit(desktop, None, "suggestions being prepared", problems)
    run_jobs()
    desktop.goto(f"{base}/themes/suggestions")
    desktop.wait_for_selector("text=Accept as a new theme")
    audit(desktop, None, "suggestions ready", problems)

    audit(phone, f"{live_server}/programmes/{slug}/you-said-we-did", "you said, we did with themes (phone)",
          problems)
    check(problems, csp_violations)
