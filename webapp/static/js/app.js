// Loaded with <script type="module">, so it only runs in browsers that
// govuk-frontend supports. Our CSP forbids inline scripts, so the classes that
// govuk's page template normally adds with an inline script are added here.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// "Copy" buttons (progressive enhancement): a panel with [data-copy-panel] stays hidden
// unless the browser can write to the clipboard.
if (navigator.clipboard?.writeText) {
  for (const panel of document.querySelectorAll("[data-copy-panel]")) {
    const button = panel.querySelector("[data-copy-from]");
    const status = panel.querySelector("[data-copy-status]");
    panel.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(document.getElementById(button.dataset.copyFrom).value);
        status.textContent = "Copied";
      } catch {
        status.textContent = "Could not copy: select the link and copy it";
      }
    });
  }
}
