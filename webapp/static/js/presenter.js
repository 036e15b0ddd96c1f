// The presenter view: fetch the page again every few seconds and swap in the new count
// and figures, without a reload (which would send a screen reader back to the top).
// Without JavaScript a <noscript> meta refresh reloads the page instead.
// The slides are links (Previous, Overview, Next): here the arrow keys, Page Up/Down
// (what a presentation clicker sends) and Home follow them, and so does a click, by
// swapping the slide in the same way.
const root = document.querySelector("[data-refresh-seconds]");
const seconds = Number(root ? root.dataset.refreshSeconds : 0);
const PARTS = ["presenter-count", "presenter-slide", "presenter-controls"];
const KEYS = { ArrowLeft: "prev", PageUp: "prev", ArrowRight: "next", PageDown: "next", Home: "overview" };
let timer = 0;
let latest = 0; // the newest fetch started: an older one that answers late is dropped

async function show(url) {
  const mine = ++latest;
  try {
    const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    // A slide chosen since this fetch began wins: an update of the slide that was on the
    // screen must not put it back after a key press has moved on.
    if (mine !== latest) return true;
    // Signed out meanwhile, or an error page: keep what is on the screen.
    if (!response.ok || !page.querySelector("[data-refresh-seconds]")) return false;
    for (const id of PARTS) {
      const fresh = page.getElementById(id);
      const shown = document.getElementById(id);
      if (fresh && shown) shown.replaceChildren(...fresh.childNodes);
    }
    if (url !== window.location.href) window.history.replaceState(null, "", url);
    return true;
  } catch {
    return false; // Offline for a moment: try again next time.
  }
}

function schedule() {
  window.clearTimeout(timer);
  if (seconds > 0) timer = window.setTimeout(async () => { await show(window.location.href); schedule(); }, seconds * 1000);
}

async function follow(link) {
  window.clearTimeout(timer);
  // The controls are swapped too: keep the focus on the same control.
  const focused = document.activeElement === link ? [...slideLinks()].indexOf(link) : -1;
  if (!(await show(link.href))) return window.location.assign(link.href);
  if (focused >= 0) slideLinks()[focused].focus();
  schedule();
}

function slideLinks() {
  return document.querySelectorAll("#presenter-controls [data-slide]");
}

function slideLink(which) {
  const links = slideLinks();
  return { prev: links[0], overview: links[1], next: links[2] }[which];
}

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || !(event.key in KEYS)) return;
  const link = slideLink(KEYS[event.key]);
  if (!link) return;
  event.preventDefault();
  follow(link);
});

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("#presenter-controls [data-slide]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  follow(link);
});

schedule();
