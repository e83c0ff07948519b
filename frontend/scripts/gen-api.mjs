// Generates lib/api/schema.d.ts from the API's OpenAPI document, dumped by the Python app
// itself (no running server or index needed). With --check, fails when the committed file is
// stale, so the types are never written twice by hand.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const frontend = resolve(here, "..");
const repo = resolve(frontend, "..");
const python = process.env.LOOKBOOK_PYTHON ?? join(repo, ".venv", "bin", "python");
const target = join(frontend, "lib", "api", "schema.d.ts");
const check = process.argv.includes("--check");

const dump =
  "import json; from api.main import create_app; print(json.dumps(create_app().openapi()))";
// The demo sign-in mode: its document also has POST /session, which the storefront's demo uses.
const spec = execFileSync(python, ["-c", dump], {
  cwd: repo,
  encoding: "utf8",
  env: { ...process.env, LOOKBOOK_AUTH__MODE: "demo" },
});
const dir = mkdtempSync(join(tmpdir(), "lookbook-openapi-"));
const specFile = join(dir, "openapi.json");
const outFile = join(dir, "schema.d.ts");
writeFileSync(specFile, spec);
execFileSync(
  join(frontend, "node_modules", ".bin", "openapi-typescript"),
  [specFile, "-o", outFile],
  {
    stdio: ["ignore", "ignore", "inherit"],
  },
);
const fresh = readFileSync(outFile, "utf8");

if (check) {
  const current = readFileSync(target, "utf8");
  if (current !== fresh) {
    console.error("lib/api/schema.d.ts is stale: run `npm run gen:api` and commit it.");
    process.exit(1);
  }
  console.log("lib/api/schema.d.ts matches the API's OpenAPI document.");
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
