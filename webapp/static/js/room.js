// The room's questions on a phone. Without JavaScript every Upvote is a form (the page
// reloads with the vote counted) and "Reload" shows new questions. Here: an upvote is
// sent without leaving the page, the list is swapped in from the answer, what happened
// is said in the status line, and the list refreshes itself every few seconds.
const list = document.getElementById("room-list");
const status = document.getElementById("room-status");
const seconds = Number(list ? list.dataset.refreshSeconds : 0);

async function swapList(url, options = {}) {
  const response = await fetch(url, { cache: "no-store", credentials: "same-origin", ...options });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("room-list");
  // Closed meanwhile, over a limit, or an error page: let the browser show it instead.
  if (!response.ok || !fresh) return null;
  list.replaceChildren(...fresh.childNodes);
  return page;
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest && event.target.closest("form[data-room-vote]");
  if (!form || !list) return;
  event.preventDefault();
  const item = form.closest("li");
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  let page = null;
  try {
    page = await swapList(form.action, { method: "POST", body: new FormData(form) });
  } catch {
    page = null;
  }
  if (!page) return form.submit();
  // The message the page would have shown at its top (flashed by the vote).
  const message = page.querySelector(".govuk-notification-banner__content");
  if (status) status.textContent = message ? message.textContent.trim() : "";
  // The pressed button is gone (the question now says "You upvoted"): keep the place.
  const again = item && document.getElementById(item.id);
  if (again) again.focus();
});

async function refresh() {
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  // Not while someone is on a button in the list: it would go from under their finger.
  if (!document.hidden && !(focused && focused.closest("form"))) {
    try {
      await swapList(window.location.pathname);
      // A question that had the focus (after an upvote) keeps it in the new list.
      const again = focused && focused.id && document.getElementById(focused.id);
      if (again) again.focus({ preventScroll: true });
    } catch {
      // Offline for a moment: try again next time.
    }
  }
  window.setTimeout(refresh, seconds * 1000);
}

if (list && seconds > 0) window.setTimeout(refresh, seconds * 1000);
