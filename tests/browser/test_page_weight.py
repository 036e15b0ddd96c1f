"""Page weight (issue 6, item 7): the feedback form, opened from a QR code on a phone with
weak mobile data, loads in at most four requests and under 60 KB transferred, compressed,
counting everything it loads (headers included), with a cold cache. In steps (issue 17),
each step stays under 30 KB in at most 3 requests."""
from tests.browser.conftest import PHONE, press_continue
from tests.feedback_helpers import open_feedback

BUDGET_BYTES = 60 * 1024
BUDGET_REQUESTS = 4


class NetworkLog:
    """What a page loads, from Chromium's own network events: (url, bytes) per request.
    Bytes are encodedDataLength: what came over the wire, headers included."""

    def __init__(self, context, page):
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", lambda event: self.urls.setdefault(event["requestId"],
                                                                                event["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda event: self.sizes.__setitem__(event["requestId"],
                                                                                event["encodedDataLength"]))
        cdp.on("Network.loadingFailed", lambda event: self.sizes.setdefault(event["requestId"], 0))
        cdp.send("Network.enable")

    def clear(self) -> None:
        self.urls.clear()
        self.sizes.clear()

    def requests(self) -> list[tuple[str, int]]:
        return [(self.urls[request_id], int(self.sizes.get(request_id, 0))) for request_id in self.urls]


def load_and_measure(browser, url: str) -> tuple[int, list[tuple[str, int]]]:
    """Open url in a fresh context (cold cache); returns (total bytes, [(url, bytes)])."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        log = NetworkLog(context, page)
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")  # late requests, such as a favicon, count too
        requests = log.requests()
        return sum(size for _, size in requests), requests
    finally:
        context.close()


def test_the_feedback_form_is_light_on_a_phone(live_server, app, demo, browser):
    code = open_feedback(app, demo)
    total, requests = load_and_measure(browser, f"{live_server}/f/{code}")
    listing = "\n".join(f"  {size:>7,} B  {url}" for url, size in requests)
    print(f"\nfeedback form /f/{code}: {total:,} bytes transferred in {len(requests)} requests\n{listing}")
    assert requests[0][0].endswith(f"/f/{code}")
    assert len(requests) <= BUDGET_REQUESTS, listing
    assert total < BUDGET_BYTES, listing


STEP_BUDGET_BYTES = 30 * 1024
STEP_BUDGET_REQUESTS = 3


def test_each_step_of_the_form_is_light_on_a_phone(live_server, app, demo, browser):
    """Every step, from the first (cold cache) to the thank-you page, measured as it
    loads: what came over the wire, headers included."""
    code = open_feedback(app, demo)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        log = NetworkLog(context, page)

        def measured(label: str, action) -> None:
            log.clear()
            action()
            page.wait_for_load_state("networkidle")
            requests = log.requests()
            total = sum(size for _, size in requests)
            listing = "\n".join(f"  {size:>7,} B  {url}" for url, size in requests)
            print(f"\n{label}: {total:,} bytes in {len(requests)} requests\n{listing}")
            assert 1 <= len(requests) <= STEP_BUDGET_REQUESTS, listing
            assert total < STEP_BUDGET_BYTES, listing

        measured("step 1 (cold cache)", lambda: page.goto(f"{live_server}/f/{code}", wait_until="load"))
        page.get_by_role("group").nth(0).get_by_text("Agree", exact=True).click()
        for number in range(2, 8):
            measured(f"step {number}", lambda: press_continue(page))
        measured("thank you", lambda: page.get_by_role("button", name="Send feedback").click())
        assert page.locator(".govuk-panel__title").inner_text() == "Thank you"
    finally:
        context.close()
