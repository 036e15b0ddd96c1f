// Copies govuk-frontend's compiled ES module into webapp/static/js/.
// The source map comment is dropped because we do not ship the map.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";

const src = "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js";
const dest = "../webapp/static/js/govuk-frontend.min.js";
const js = readFileSync(src, "utf8").replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
mkdirSync("../webapp/static/js", { recursive: true });
writeFileSync(dest, js);
console.log(`wrote ${dest}`);
