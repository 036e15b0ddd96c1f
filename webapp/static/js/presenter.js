// The presenter view: fetch the page again every few seconds and swap in the new count
// and figures, without a reload (which would send a screen reader back to the top).
// Without JavaScript a <noscript> meta refresh reloads the page instead.
const root = document.querySelector("[data-refresh-seconds]");
const seconds = Number(root ? root.dataset.refreshSeconds : 0);
const PARTS = ["presenter-count", "presenter-results"];

async function update() {
  try {
    const response = await fetch(window.location.href, { cache: "no-store", credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    // Signed out meanwhile, or an error page: keep what is on the screen.
    if (response.ok && page.querySelector("[data-refresh-seconds]")) {
      for (const id of PARTS) {
        const fresh = page.getElementById(id);
        const shown = document.getElementById(id);
        if (fresh && shown) shown.replaceChildren(...fresh.childNodes);
      }
    }
  } catch {
    // Offline for a moment: try again next time.
  }
  window.setTimeout(update, seconds * 1000);
}

if (seconds > 0) window.setTimeout(update, seconds * 1000);
