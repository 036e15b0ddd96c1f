"""webapp/templating.py's faster equivalents give what Jinja and govuk-frontend-jinja give:
the Python `govukAttributes` against the package's own macro, `indent` against Jinja's,
the dict lookup against Jinja's, and every page rendered both ways, byte for byte."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.templating import Environment as FlaskEnvironment
from hypothesis import given, settings, strategies as st
from jinja2 import ChoiceLoader, Environment as JinjaEnvironment, PackageLoader, Undefined
from jinja2.filters import do_indent
from markupsafe import Markup

from webapp import templating
from webapp.auth.models import Role
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import FeedbackForm, Question
from webapp.programmes.models import Finding
from webapp.sessions.models import EventSession

PACKAGE_MACROS = JinjaEnvironment(loader=PackageLoader("govuk_frontend_jinja"), autoescape=True)
package_attributes = PACKAGE_MACROS.get_template("macros/attributes.html").module.govukAttributes

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "<script>", '" onfocus="x', "&amp;", "a\nb", "True"])
plain_value = st.none() | st.just(Undefined()) | st.booleans() | st.integers(-2, 2) | st.floats(allow_nan=False) | text | text.map(Markup)
option = st.fixed_dictionaries({}, optional={"value": plain_value, "optional": st.none() | st.booleans() | text})
value = plain_value | option | st.fixed_dictionaries({"val": plain_value | option})
attributes = st.dictionaries(text, value, max_size=5) | text | text.map(Markup) | st.none() | st.just([])


@given(attributes)
@settings(max_examples=400)
def test_govuk_attributes_gives_what_the_package_macro_gives(given_attributes):
    ours = templating.govuk_attributes(given_attributes)
    assert isinstance(ours, Markup)
    assert ours == package_attributes(given_attributes)


@given(text.map(Markup) | text | st.text(alphabet="ab \n\r<&", max_size=40).map(Markup),
       st.integers(0, 6) | st.sampled_from(["", "\t", "<b>", " - "]), st.booleans(), st.booleans())
@settings(max_examples=300)
def test_indent_gives_what_jinja_gives(given_text, width, first, blank):
    ours = templating.indent(given_text, width, first, blank)
    theirs = do_indent(given_text, width, first, blank)
    assert type(ours) is type(theirs) and ours == theirs


def test_dict_lookup_gives_what_jinja_gives(app):
    ours, jinja = app.jinja_env, JinjaEnvironment()
    assert type(ours).getattr is not JinjaEnvironment.getattr  # the fast path is the one under test
    params = {"id": "x", "items": [1, 2], "get": "key named get", "missing": None}
    for name in ("id", "items", "get", "missing", "absent", "keys", "__class__"):
        theirs = jinja.getattr(params, name)
        if isinstance(theirs, jinja.undefined):
            assert isinstance(ours.getattr(params, name), ours.undefined)
        else:
            assert ours.getattr(params, name) == theirs
    # a dict's own attribute wins over a key of the same name, as in Jinja
    assert ours.getattr(params, "items")() == params.items()
    # anything but a plain dict takes Jinja's own way
    assert ours.getattr(Markup("x"), "upper")() == "X"


def plain_environment(app) -> FlaskEnvironment:
    """Flask's own environment for the app: Jinja's `indent` and lookups, the package's macro."""
    fast = app.jinja_env
    plain = FlaskEnvironment(app, **{"autoescape": app.select_jinja_autoescape, **app.jinja_options})
    plain.loader = ChoiceLoader(app.jinja_loader.loaders[1:])  # without OVERRIDDEN_TEMPLATES
    plain.globals.update(fast.globals)
    plain.filters.update({**fast.filters, "indent": do_indent})
    plain.tests.update(fast.tests)
    plain.policies.update(fast.policies)
    return plain


PAGE_ARGUMENTS = {"programme_id", "session_id", "finding_id", "question_id", "code", "slug"}
# Values new on every request: CSRF tokens signed with the time (in forms, and the door page's
# scanner's `data-csrf-token`: its signature changes each second), a phone's one-off key.
NEW_EACH_REQUEST = re.compile(rb'(name="(?:csrf_token|draft|submission_key)" value=|data-csrf-token=)"[^"]*"')
# Pages that differ on every request by design (a new secret to scan).
NEW_EACH_TIME = {"auth.two_factor_setup"}
# Forms whose empty submission is refused: the page comes back with its error messages.
REFUSED_WHEN_EMPTY = ["programmes.create", "programmes.add_finding", "sessions.create", "feedback.add_question",
                      "actions.add", "auth.invite", "bookings.register", "feedback.respond", "staff.invite"]


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


def _page_urls(app, demo) -> list[tuple[str, str, str]]:
    with app.app_context():
        session = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == demo)
                                     .order_by(EventSession.id)).first()
        values = {
            "programme_id": demo, "session_id": session.id, "code": session.feedback_code,
            "slug": session.programme.slug,
            "finding_id": db.session.scalar(sa.select(sa.func.min(Finding.id)).where(Finding.programme_id == demo)),
            "question_id": db.session.scalar(sa.select(sa.func.min(Question.id)).join(FeedbackForm)
                                             .where(FeedbackForm.programme_id == demo)),
        }
        session.feedback_opens_at = utcnow() - timedelta(minutes=5)  # the phone form, not a "not yet" page
        db.session.commit()
    pages, urls = [], app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if set(rule.arguments) <= PAGE_ARGUMENTS and not rule.rule.startswith("/static"):
            url = urls.build(rule.endpoint, {name: values[name] for name in rule.arguments})
            if "GET" in rule.methods:
                pages.append(("GET", url, rule.endpoint))
            if "POST" in rule.methods and rule.endpoint in REFUSED_WHEN_EMPTY:
                pages.append(("POST", url, rule.endpoint))
    return pages


def test_every_page_is_the_same_rendered_either_way(app, client, demo, login_as):
    login_as(Role.ADMIN)
    fast, plain = app.jinja_env, plain_environment(app)
    compared = []
    for method, url, endpoint in _page_urls(app, demo):
        bodies = []
        for environment in (plain, fast):
            app.jinja_env = environment
            response = client.open(url, method=method, data={})
            body = NEW_EACH_REQUEST.sub(rb'\1""', response.get_data())
            if method == "POST":  # refused, with its messages
                assert b"There is a problem" in body or b"not been sent yet" in body, f"POST {url}"
            bodies.append((response.status_code, response.mimetype, body))
        app.jinja_env = fast
        (plain_status, mimetype, plain_body), (fast_status, _, fast_body) = bodies
        assert fast_status == plain_status, f"{method} {url}"
        if mimetype == "text/html" and plain_status == 200 and endpoint not in NEW_EACH_TIME:
            assert fast_body == plain_body, f"{method} {url} differs"
            compared.append((method, endpoint))
    # the comparison reached the pages built from GOV.UK's form macros, and their error messages
    assert {("GET", endpoint) for endpoint in ("sessions.create", "feedback.respond", "bookings.register",
                                               "programmes.show", "results.session_results")} <= set(compared)
    assert {endpoint for method, endpoint in compared if method == "POST"} == set(REFUSED_WHEN_EMPTY)
    assert len(compared) >= 50, compared
