// Drives the web console (GET /console) in headless Chromium against the local API, as a person would.
//
// stdin: {"url", "key", "publicKey", "user", "xss": {"user", "object": [collection, id], "tenant"},
//         "channel", "operation", "csv", "jsonl", "artifacts"}
// stdout: what each step saw (texts, counts, the rejects file), plus every request, dialog, page error
// and CSP violation of the run, and what sessionStorage/localStorage held; tests/browser/test_console.py
// judges it. A screenshot per page goes to `artifacts`.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { chromium } from "playwright-core";

const TIMEOUT_MS = 60_000;
const input = JSON.parse(readFileSync(0, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--no-proxy-server"],
});
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT_MS);
const seen = { requests: [], dialogs: [], pageErrors: [], console: [], steps: {} };
page.on("request", (request) => seen.requests.push({ method: request.method(), url: request.url(), headers: request.headers() }));
page.on("dialog", async (dialog) => {
  seen.dialogs.push(dialog.message());
  await dialog.dismiss();
});
page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
page.on("console", (message) => seen.console.push({ type: message.type(), text: message.text() }));

const main = page.locator("main");
const shot = (name) => page.screenshot({ path: join(input.artifacts, `console-${name}.png`), fullPage: true });
const texts = (locator) => locator.evaluateAll((nodes) => nodes.map((node) => node.textContent));
const storage = () => page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, xss: window.__xss ?? null }));
// What the page holds that could run or leave: elements that load or run, links that are not http(s), #/ or blob:.
const hazards = () =>
  page.evaluate(() => ({
    active: [...document.querySelectorAll("main script, main img, main svg, main iframe, main object, main embed")].map((node) => node.outerHTML),
    handlers: [...document.querySelectorAll("main *")].flatMap((node) => node.getAttributeNames().filter((name) => name.startsWith("on"))),
    links: [...document.querySelectorAll("main a[href]")].map((node) => node.getAttribute("href")).filter((href) => !/^(https?:|#\/|blob:)/.test(href)),
  }));

async function openRoute(route, ready) {
  await page.evaluate((hash) => (location.hash = hash), `#${route}`);
  await ready();
}

async function signIn(key) {
  await page.fill("#key", key);
  await page.click("#sign-in button[type=submit]");
}

try {
  await page.goto(`${input.url}/console`);
  await shot("sign-in");

  // A public key is refused in the page with a reason; the secret key signs in
  await signIn(input.publicKey);
  await page.waitForFunction(() => document.getElementById("sign-in-status").textContent.includes("public key"));
  seen.steps.publicKey = await page.textContent("#sign-in-status");
  await signIn(input.key);
  await page.waitForSelector("main table tbody tr");
  seen.steps.afterSignIn = await storage();

  // Page through every user, following Next
  const pages = [];
  for (let number = 0; number < 20; number += 1) {
    await page.waitForSelector("main table tbody tr");
    pages.push(await texts(main.locator("table tbody tr td:first-child")));
    if (number === 0) await shot("users");
    const next = main.getByRole("link", { name: "Next →" });
    if ((await next.count()) === 0) break;
    const first = pages.at(-1)[0];
    await next.click();
    await page.waitForFunction((before) => document.querySelector("main table tbody td")?.textContent !== before, first);
  }
  seen.steps.userPages = pages;

  // Open one user by id: its properties and, once its channel is added, its channel data
  await openRoute("/users", () => page.waitForSelector("main form"));
  await page.getByRole("textbox", { name: "User id", exact: true }).fill(input.user);
  await main.getByRole("button", { name: "Open" }).click();
  await page.waitForSelector("main h1.title");
  await page.getByRole("textbox", { name: "Channel id", exact: true }).fill(input.channel);
  await main.getByRole("button", { name: "Look up" }).click();
  await page.waitForFunction((channel) => [...document.querySelectorAll("main td code")].some((node) => node.textContent === channel), input.channel);
  await page.waitForFunction(() => ![...document.querySelectorAll("main p")].some((node) => node.textContent === "Loading…"));
  seen.steps.user = {
    title: await page.textContent("main h1.title"),
    rows: await main.locator("section.panel").first().locator("tr").evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
    channel: await main.locator("section.panel", { hasText: "Channel data" }).locator("tbody tr").evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
    sections: await texts(main.locator("section.panel > h2")),
    schedules: await main.locator("section.panel", { hasText: "Schedules" }).textContent(),
    avatarHref: await main.locator("td a[target=_blank]").first().getAttribute("href").catch(() => null),
  };
  await shot("user");

  // Delete it, confirming
  await main.getByTestId("delete").click();
  seen.steps.confirmShown = await main.getByTestId("confirm-delete").isVisible();
  await main.getByTestId("confirm-delete").click();
  await page.waitForFunction(() => location.hash === "#/users");

  // The hostile values: a user, an object and a tenant whose ids and properties are markup and javascript: URLs
  const xss = {};
  await openRoute(`/users/${encodeURIComponent(input.xss.user)}`, () => page.waitForSelector("main h1.title"));
  await page.waitForFunction(() => ![...document.querySelectorAll("main p")].some((node) => node.textContent === "Loading…"));
  xss.user = { title: await page.textContent("main h1.title"), text: await main.textContent(), hazards: await hazards(), avatarHref: await main.locator("td a[target=_blank]").first().getAttribute("href") };
  await shot("xss-user");
  const [collection, objectId] = input.xss.object;
  await openRoute(`/objects/${encodeURIComponent(collection)}`, () => page.waitForSelector("main table tbody tr"));
  xss.objectList = { text: await main.textContent(), hazards: await hazards() };
  await openRoute(`/objects/${encodeURIComponent(collection)}/${encodeURIComponent(objectId)}`, () => page.waitForSelector("main h1.title"));
  xss.object = { title: await page.textContent("main h1.title"), text: await main.textContent(), hazards: await hazards() };
  await shot("object");
  await openRoute("/tenants", () => page.waitForSelector("main table tbody tr"));
  xss.tenantList = { text: await main.textContent(), hazards: await hazards() };
  await shot("tenants");
  await openRoute(`/tenants/${encodeURIComponent(input.xss.tenant)}`, () => page.waitForSelector("main h1.title"));
  xss.tenant = { title: await page.textContent("main h1.title"), text: await main.textContent(), hazards: await hazards() };
  seen.steps.xss = xss;

  // A bulk operation: the progress bar is redrawn until it completes, then its error items
  await openRoute("/bulk", () => page.waitForSelector("main form"));
  await page.getByRole("textbox", { name: "Bulk operation id", exact: true }).fill(input.operation);
  await main.getByRole("button", { name: "Open" }).click();
  await page.waitForSelector("[data-testid=bulk-status]");
  const statuses = [await page.textContent("[data-testid=bulk-status]")];
  await page.waitForFunction(() => document.querySelector("[data-testid=bulk-status]")?.textContent.startsWith("completed"));
  statuses.push(await page.textContent("[data-testid=bulk-status]"));
  seen.steps.bulk = {
    statuses,
    progress: await page.$eval("[data-testid=bulk-progress]", (bar) => [bar.value, bar.max]),
    errorRows: await main.locator("section.panel", { hasText: "Error items" }).locator("tbody tr").evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
    hazards: await hazards(),
  };
  await shot("bulk");

  // Import a CSV file through the page: counts, then the rejects as a download
  await openRoute("/import", () => page.waitForSelector("#import-file"));
  const startedAt = Date.now();
  await page.setInputFiles("#import-file", input.csv);
  await page.waitForFunction(() => document.querySelector("[data-testid=import-state]")?.textContent === "Import finished.", null, { timeout: 120_000 });
  const count = (id) => page.textContent(`[data-testid=import-${id}]`);
  seen.steps.import = { total: await count("total"), sent: await count("sent"), written: await count("written"), rejected: await count("rejected"), seconds: (Date.now() - startedAt) / 1000 };
  await shot("import");
  const [download] = await Promise.all([page.waitForEvent("download"), main.getByTestId("rejects-download").click()]);
  seen.steps.import.rejectsName = download.suggestedFilename();
  seen.steps.import.rejects = await readFile(await download.path(), "utf8");

  // And a JSONL file: one user with a number beyond 2^53, a line that is not JSON, one that is not an object
  await page.setInputFiles("#import-file", input.jsonl);
  await page.waitForFunction(() => document.querySelector("[data-testid=import-total]")?.textContent === "3");
  await page.waitForFunction(() => document.querySelector("[data-testid=import-state]")?.textContent === "Import finished.");
  seen.steps.jsonl = { sent: await count("sent"), written: await count("written"), rejected: await count("rejected") };

  // Sign out: the key is gone from the tab
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in:visible");
  seen.steps.afterSignOut = await storage();
  seen.steps.final = await storage();
} catch (error) {
  seen.failure = String(error.stack || error);
  await shot("failure").catch(() => {});
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(seen));
