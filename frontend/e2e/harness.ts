/**
 * Starts the real stack for the browser tests: the FastAPI app on the tiny world's index and
 * `next start` on the production build, each on a free port, and stops both afterwards. Logs go
 * to test-results/ so a failure can be read after the run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
export const REPO = resolve(FRONTEND, "..");
/** The tiny world and its index, as `make e2e-index` builds them (overridable for debugging). */
export const E2E_DATA = resolve(REPO, process.env.LOOKBOOK_E2E_DATA ?? "var/e2e/data");
const E2E_INDEX = resolve(REPO, process.env.LOOKBOOK_E2E_INDEX ?? "var/e2e/index");
const LOGS = join(FRONTEND, "test-results");

export interface Stack {
  apiUrl: string;
  webUrl: string;
  /** The merchandiser key the storefront's server acts with (the catalog page). */
  merchandiserKey: string;
  adminKey: string;
  /** The service key the storefront's server posts purchases with ("Buy now"). */
  serviceKey: string;
  stop: () => Promise<void>;
}

/** `python -m api keys create` in the API's database: the key is its output's last line. */
function createKey(env: Record<string, string>, role: string, name: string): string {
  const out = execFileSync(
    join(REPO, ".venv", "bin", "python"),
    ["-m", "api", "keys", "create", "--role", role, "--name", name],
    { cwd: REPO, env: { ...process.env, ...env }, encoding: "utf8" },
  );
  const key = out.trim().split("\n").pop()?.trim() ?? "";
  if (!key) throw new Error(`python -m api keys create printed no key:\n${out}`);
  return key;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => done(port));
    });
  });
}

function start(
  name: string,
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): ChildProcess {
  mkdirSync(LOGS, { recursive: true });
  const log = createWriteStream(join(LOGS, `${name}.log`));
  // Its own process group, so stopping it also stops anything it started.
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitFor(
  url: string,
  child: ChildProcess,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}; see test-results/${name}.log`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${name} was not ready at ${url} within ${timeoutMs / 1000} s; see test-results/${name}.log`,
  );
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export async function startStack(): Promise<Stack> {
  if (!existsSync(join(E2E_INDEX, "store", "CURRENT"))) {
    throw new Error(`no e2e index at ${E2E_INDEX}: run \`make e2e-index\` first`);
  }
  if (!existsSync(join(FRONTEND, ".next", "BUILD_ID"))) {
    throw new Error("no production build: run `npm run build` first");
  }
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  // A fresh preferences database per run: saved preferences of an earlier run must not leak in.
  const db = join(mkdtempSync(join(tmpdir(), "lookbook-e2e-")), "lookbook.db");
  const apiEnv = {
    LOOKBOOK_DATA_DIR: E2E_DATA,
    LOOKBOOK_INDEX_DIR: E2E_INDEX,
    LOOKBOOK_DB_PATH: db,
    // The demo sign-in (a bearer token for any known customer id), as the tests sign in.
    LOOKBOOK_AUTH__MODE: "demo",
    // Every test signs in and searches from this one address: limits of their own.
    LOOKBOOK_RATE_LIMIT__SESSION: "1000/minute",
    LOOKBOOK_RATE_LIMIT__SEARCH: "1000/minute",
    LOOKBOOK_RATE_LIMIT__PHOTO_SEARCH: "1000/minute",
    LOOKBOOK_RATE_LIMIT__WRITE: "1000/minute",
    HF_HUB_OFFLINE: "1",
    TRANSFORMERS_OFFLINE: "1",
  };
  // The catalog changes of this run go to this run's database, like everything else.
  const merchandiserKey = createKey(apiEnv, "merchandiser", "storefront-e2e");
  const serviceKey = createKey(apiEnv, "service", "storefront-e2e-orders");
  const adminKey = createKey(apiEnv, "admin", "storefront-e2e-admin");
  const api = start(
    "api",
    join(REPO, ".venv", "bin", "python"),
    ["-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", String(apiPort)],
    REPO,
    apiEnv,
  );
  const web = start(
    "web",
    process.execPath,
    [
      join(FRONTEND, "node_modules", "next", "dist", "bin", "next"),
      "start",
      "-H",
      "127.0.0.1",
      "-p",
      String(webPort),
    ],
    FRONTEND,
    {
      LOOKBOOK_API_URL: apiUrl,
      LOOKBOOK_DATA_DIR: E2E_DATA,
      LOOKBOOK_SERVICE_KEY: serviceKey,
      NODE_ENV: "production",
    },
  );
  const stop = async () => {
    await Promise.all([stopProcess(web), stopProcess(api)]);
  };
  try {
    await waitFor(`${apiUrl}/ready`, api, "api", 180_000);
    // Through the proxy: checks the `/api/*` rewrite as well as the server.
    await waitFor(`${webUrl}/api/health`, web, "web", 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, webUrl, merchandiserKey, serviceKey, adminKey, stop };
}
