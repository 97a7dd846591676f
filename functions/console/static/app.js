// The console's shell: sign-in with a secret key (sessionStorage only), sign-out, and the pages,
// one per #/route. Routes carry ids, never the key.
import { ApiError, get, keyProblem, path, signIn, signOut, signedInKey } from "./api.js";
import { operationForm, operationPage } from "./bulk.js";
import { h, notice, replace } from "./dom.js";
import { importPage } from "./importer.js";
import { objectPage, objectsHome, objectsList, tenantPage, tenantsList, userPage, usersList } from "./views.js";

const main = document.getElementById("main");
const signInForm = document.getElementById("sign-in");
const keyInput = document.getElementById("key");
const signInStatus = document.getElementById("sign-in-status");
const nav = document.getElementById("nav");
let generation = 0; // a page still loading when another is opened must not draw over it

function go(route) {
  location.hash = `#${route}`;
}

function pageFor(parts, query, isCurrent) {
  const [section, first, second] = parts;
  if (section === "users") return first === undefined ? usersList(query, go) : userPage(first, go);
  if (section === "objects") {
    if (first === undefined) return objectsHome(go);
    return second === undefined ? objectsList(first, query, go) : objectPage(first, second, go);
  }
  if (section === "tenants") return first === undefined ? tenantsList(query, go) : tenantPage(first, go);
  if (section === "bulk") return first === undefined ? operationForm(go) : operationPage(first, isCurrent);
  if (section === "import") return importPage();
  return null;
}

async function show() {
  const current = ++generation;
  const isCurrent = () => current === generation && signedInKey() !== null;
  const [route, search = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = route.split("/").filter(Boolean).map(decodeURIComponent);
  if (!parts.length) return go("/users");
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${route.split("/")[1]}`);
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  replace(main, h("p", { class: "muted", "aria-live": "polite" }, "Loading…"));
  try {
    const content = await pageFor(parts, new URLSearchParams(search), isCurrent);
    if (!isCurrent()) return;
    replace(main, content ?? notice("No such page."));
  } catch (error) {
    if (!isCurrent()) return;
    if (error instanceof ApiError && error.status === 401) return showSignIn("The API no longer accepts that key: sign in again.");
    const missing = error instanceof ApiError && error.status === 404;
    replace(main, notice(missing ? `Not found: ${error.message}` : error.message, "error"));
  }
  main.focus({ preventScroll: true });
}

function showSignIn(message = "") {
  signOut();
  generation += 1;
  document.body.classList.remove("signed-in");
  replace(main);
  replace(signInStatus, message);
  keyInput.focus();
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  const problem = keyProblem(key);
  if (problem) return replace(signInStatus, problem);
  replace(signInStatus, "Checking the key…");
  signIn(key);
  try {
    await get(path("users"), { page_size: "1" });
  } catch (error) {
    const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
    return showSignIn(refused ? "The API does not accept that key." : `The API cannot be reached: ${error.message}`);
  }
  keyInput.value = "";
  replace(signInStatus);
  document.body.classList.add("signed-in");
  show();
});

document.getElementById("sign-out").addEventListener("click", () => showSignIn("Signed out."));
window.addEventListener("hashchange", () => {
  if (signedInKey()) show();
});

if (signedInKey()) {
  document.body.classList.add("signed-in");
  show();
} else {
  keyInput.focus();
}
