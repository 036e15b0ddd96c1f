"""A real OpenID Connect provider for the sign-in tests: tests/oidc/provider.js (the certified
`oidc-provider` package) run by Node.js on a free loopback port.

The tests that use it are SKIPPED, with the reason in the summary, when Node.js or
tests/oidc/node_modules is missing (`npm ci --prefix tests/oidc` installs it; `.ci/run` does)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).parent / "oidc"
PROVIDER_PASSWORD = "provider-password"
CALLBACK_PATH = "/login/oidc/callback"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Provider:
    issuer: str

    def tamper(self, mode: str) -> None:
        """The next ID token the provider issues is forged this way (see provider.js)."""
        requests.post(f"{self.issuer}/_test/tamper", params={"mode": mode}, timeout=5).raise_for_status()

    def register_client(self, app) -> str:
        """Register a client for `app`'s own redirect URI (RFC 7591 dynamic registration) and
        point the app at it; returns the client id."""
        base = app.config["PUBLIC_BASE_URL"]
        response = requests.post(f"{self.issuer}/reg", timeout=5, json={
            "redirect_uris": [base + CALLBACK_PATH],
            "post_logout_redirect_uris": [base + "/login"],
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_basic",
        })
        response.raise_for_status()
        client = response.json()
        app.config.update(OIDC_CLIENT_ID=client["client_id"], OIDC_CLIENT_SECRET=client["client_secret"])
        return client["client_id"]

    def sign_in(self, authorize_url: str, login: str, password: str = PROVIDER_PASSWORD,
                browser: requests.Session | None = None, cancel: bool = False) -> str:
        """Do what a person does at the provider's sign-in page; returns the URL the provider
        sends them back to (the app's callback, with the code and state)."""
        browser = browser or requests.Session()
        url, form = authorize_url, None
        for _ in range(10):
            if form is None:
                response = browser.get(url, allow_redirects=False, timeout=5)
            else:
                response = browser.post(url, data=form, allow_redirects=False, timeout=5)
                form = None
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                if urlsplit(url).netloc != urlsplit(self.issuer).netloc:
                    return url
            elif response.status_code == 200 and "/interaction/" in url:
                url = url.rstrip("/") + ("/abort" if cancel else "/login")
                form = {} if cancel else {"login": login, "password": password}
            else:
                raise AssertionError(f"provider answered {response.status_code} at {url}: {response.text[:300]}")
        raise AssertionError("the provider never sent the person back")


def _node_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js not found: OpenID Connect provider tests SKIPPED (install Node.js 20+)"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return ("tests/oidc/node_modules missing: OpenID Connect provider tests SKIPPED "
                "(run `npm ci --prefix tests/oidc`)")
    return None


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    reason = _node_missing_reason()
    if reason:
        pytest.skip(reason)
    port = _free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(["node", "provider.js", "--port", str(port)], cwd=PROVIDER_DIR,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    provider = Provider(issuer=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the test provider stopped:\n{log.read_text()}")
            try:
                requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the test provider did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
