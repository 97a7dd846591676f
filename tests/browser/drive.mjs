// Runs page/app.mjs's scenario in headless Chromium, once per run, and prints what each run saw.
//
// stdin: {"runs": [{"name", "host", "input"}]}; `input` goes to window.runScenario (page/app.mjs). The
// page is served by a static HTTP server started here on 127.0.0.1, at another port than the API's,
// so it is another origin: http://<host>:<port>. Chromium resolves evil.test to 127.0.0.1 too, so a run
// with "host": "evil.test" loads the same page from an origin the API's CORS rules do not allow.
// stdout: {"<name>": {"origin", "results", "console", "pageErrors", "failedRequests"}}.
//
// playwright-core drives the system's Chromium (CHROMIUM_PATH, else Debian's /usr/bin/chromium): it
// never downloads a browser. One browser for all runs; each run has its own context (no shared cache,
// so no CORS preflight answer carries over).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const PAGE = join(HERE, "page");
const NODE_MODULES = join(HERE, "node_modules");
const BLOCKED_HOST = "evil.test";
const RUN_TIMEOUT_MS = 45_000;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

// `/` is page/index.html, `/node_modules/...` is tests/browser/node_modules/..., anything else is under page/.
function fileFor(urlPath) {
  const path = normalize(decodeURIComponent(urlPath));
  if (path === "/") return join(PAGE, "index.html");
  const [root, rest] = path.startsWith("/node_modules/") ? [NODE_MODULES, path.slice(14)] : [PAGE, path.slice(1)];
  const file = join(root, rest);
  return file.startsWith(root + sep) ? file : null;
}

function serve() {
  const server = createServer(async (request, response) => {
    const file = fileFor(new URL(request.url, "http://page").pathname);
    try {
      if (!file || !TYPES[extname(file)]) throw new Error("not served");
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)], "cache-control": "no-store" });
      response.end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(browser, port, run) {
  const origin = `http://${run.host}:${port}`;
  const context = await browser.newContext();
  const seen = { origin, console: [], pageErrors: [], failedRequests: [] };
  try {
    const page = await context.newPage();
    page.on("console", (message) => seen.console.push({ type: message.type(), text: message.text() }));
    page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
    page.on("requestfailed", (request) =>
      seen.failedRequests.push({ method: request.method(), url: request.url(), error: request.failure()?.errorText }),
    );
    await page.goto(`${origin}/`, { timeout: 15_000 });
    await page.waitForFunction(() => typeof window.runScenario === "function", null, { timeout: 15_000 });
    seen.results = await withTimeout(
      page.evaluate((input) => window.runScenario(input), run.input),
      `the run ${run.name}`,
    );
  } finally {
    await context.close();
  }
  return seen;
}

const { runs } = await readStdin();
const server = await serve();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", `--host-resolver-rules=MAP ${BLOCKED_HOST} 127.0.0.1`, "--no-proxy-server"],
});
try {
  const answers = {};
  for (const run of runs) answers[run.name] = await runOne(browser, server.address().port, run);
  process.stdout.write(JSON.stringify(answers));
} finally {
  await browser.close();
  server.close();
}
