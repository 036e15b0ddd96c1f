// Pages that update themselves (the presenter view, a workbook being built): fetch the
// page again every few seconds and swap in the parts named in data-refresh-parts,
// without a reload (which would send a screen reader back to the top). It stops when
// the fresh page says it no longer updates (data-refresh-seconds="0").
// Without JavaScript a <noscript> meta refresh reloads the page instead.
const root = document.querySelector("[data-refresh-seconds]");
const seconds = Number(root ? root.dataset.refreshSeconds : 0);
const PARTS = root ? (root.dataset.refreshParts || "").split(" ").filter(Boolean) : [];

async function update() {
  let again = true;
  try {
    const response = await fetch(window.location.href, { cache: "no-store", credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh_root = page.querySelector("[data-refresh-seconds]");
    // Signed out meanwhile, or an error page: keep what is on the screen.
    if (response.ok && fresh_root) {
      for (const id of PARTS) {
        const fresh = page.getElementById(id);
        const shown = document.getElementById(id);
        if (fresh && shown) shown.replaceChildren(...fresh.childNodes);
      }
      again = Number(fresh_root.dataset.refreshSeconds) > 0;
    }
  } catch {
    // Offline for a moment: try again next time.
  }
  if (again) window.setTimeout(update, seconds * 1000);
}

if (seconds > 0) window.setTimeout(update, seconds * 1000);
