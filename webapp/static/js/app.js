// Loaded with <script type="module">, so it only runs in browsers that
// govuk-frontend supports. Our CSP forbids inline scripts, so the classes that
// govuk's page template normally adds with an inline script are added here.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
