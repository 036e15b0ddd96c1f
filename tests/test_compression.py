"""Gzip in the app: pages, CSS and JavaScript are compressed for browsers that accept it,
and nothing else changes (validators, downloads, clients without gzip)."""
import gzip
import re

from tests.feedback_helpers import open_feedback
from webapp.auth.models import Role

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def stylesheet_url(client) -> str:
    return re.search(r'href="(/static/css/app\.[0-9a-f]{8}\.css)"', client.get("/").get_data(as_text=True)).group(1)


def test_the_stylesheet_is_sent_gzipped_and_cached_forever(client, app):
    url = stylesheet_url(client)
    plain = client.get(url).get_data()
    response = client.get(url, headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "immutable" in response.headers["Cache-Control"]
    body = response.get_data()
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 4  # ~150 KB down to ~20 KB
    assert int(response.headers["Content-Length"]) == len(body)
    assert "Accept-Ranges" not in response.headers
    assert client.get(url, headers=GZIP).get_data() == body  # the second time from memory


def test_static_files_do_not_vary_by_cookie_so_a_proxy_can_share_them(client, login_as):
    login_as(Role.ORGANISER)  # a signed-in browser: its pages depend on the cookie
    url = stylesheet_url(client)
    response = client.get(url, headers=GZIP)
    assert response.headers["Vary"] == "Accept-Encoding" and "Set-Cookie" not in response.headers
    page = client.get("/organiser/programmes")
    assert page.status_code == 200 and "Cookie" in page.headers["Vary"]


def test_without_accept_encoding_nothing_is_compressed(client):
    url = stylesheet_url(client)
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        response = client.get(url, headers=headers)
        assert "Content-Encoding" not in response.headers
        assert response.get_data().startswith(b"/*") or b"{" in response.get_data()[:200]
        page = client.get("/", headers=headers)
        assert "Content-Encoding" not in page.headers and b"<!DOCTYPE html>" in page.get_data()


def test_a_compressed_static_file_can_still_be_revalidated(client):
    response = client.get("/static/js/govuk-frontend.min.js", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')  # the same file in another encoding: a weak validator
    again = client.get("/static/js/govuk-frontend.min.js", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data()


def test_pages_are_compressed_with_their_headers_kept(app, client, demo):
    code = open_feedback(app, demo)
    response = client.get(f"/f/{code}", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers
    html = gzip.decompress(response.get_data()).decode()
    assert 'name="draft"' in html


def test_downloads_and_small_responses_are_left_alone(app, client, demo, login_as):
    login_as(Role.ORGANISER)
    workbook = client.get(f"/organiser/programmes/{demo}/workbook.xlsx", headers=GZIP)
    assert workbook.status_code == 200 and "Content-Encoding" not in workbook.headers
    assert workbook.headers["Cache-Control"] == "no-store"
    assert workbook.get_data()[:2] == b"PK"
    health = client.get("/healthz", headers=GZIP)
    assert "Content-Encoding" not in health.headers  # a few bytes: not worth it


def test_the_feedback_page_loads_no_script_and_no_favicon_file(app, client, demo):
    html = client.get(f"/f/{open_feedback(app, demo)}").get_data(as_text=True)
    assert "<script" not in html
    assert re.search(r'<link rel="icon" href="data:image/svg\+xml,[^"]+"', html)
    assert '<script type="module"' in client.get("/").get_data(as_text=True)  # other pages keep GOV.UK's JS
