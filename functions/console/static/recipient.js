// What users, objects and tenants pages share: a paged list, properties, channel data, preference
// sets, subscriptions, and a delete with a confirmation.
import { ApiError, get, remove } from "./api.js";
import { button, externalLink, field, h, notice, replace, routeLink, section, table } from "./dom.js";
import { tree } from "./json.js";

const CHANNELS_ITEM = "recipients.console.channels"; // channel ids are not secret: kept across sessions

export function text(value) {
  if (value === null || value === undefined) return h("span", { class: "json-null" }, "null");
  return typeof value === "string" ? value : tree(value, 0);
}

// `load(after|before)` answers a Knock page {entries, page_info}; `row(entry)` gives its cells.
export async function pagedList({ title, headings, load, row, query, route }) {
  const panel = section(title, h("p", { "aria-live": "polite", class: "muted" }, "Loading…"));
  const page = await load(query);
  const entries = page.entries || [];
  const info = page.page_info || {};
  const nav = h(
    "nav",
    { class: "pager", "aria-label": `${title} pages` },
    info.before ? routeLink(`${route}?before=${encodeURIComponent(info.before)}`, "← Previous") : null,
    info.after ? routeLink(`${route}?after=${encodeURIComponent(info.after)}`, "Next →") : null,
  );
  replace(
    panel,
    h("h2", {}, title),
    entries.length ? table(headings, entries.map(row)) : notice("Nothing here."),
    nav,
  );
  return panel;
}

export function openById(label, onOpen) {
  const input = h("input", { type: "text", name: "id", required: true, autocomplete: "off", spellcheck: "false" });
  const form = h("form", { class: "inline", "aria-label": `Open by ${label.toLowerCase()}` }, field(label, input), h("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value) onOpen(input.value);
  });
  return form;
}

// Reserved properties as a table (the avatar as a link only when it is an http(s) URL), custom ones as trees.
export function propertiesPanel(title, record, reserved, custom) {
  const rows = reserved
    .filter((name) => name in record)
    .map((name) => [h("code", {}, name), name === "avatar" && typeof record[name] === "string" ? externalLink(record[name]) : text(record[name])]);
  const customRows = Object.entries(custom).map(([name, value]) => [h("code", {}, name), tree(value, 1)]);
  return section(
    title,
    h("h3", {}, "Reserved properties"),
    table(["Property", "Value"], rows),
    h("h3", {}, "Custom properties"),
    customRows.length ? table(["Property", "Value"], customRows) : notice("No custom properties."),
  );
}

function knownChannels() {
  try {
    const saved = JSON.parse(localStorage.getItem(CHANNELS_ITEM) || "[]");
    return Array.isArray(saved) ? saved.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}

// Channel data per channel: the API has no list of a recipient's channels, so the console asks for
// each channel it knows of (added here once, remembered in this browser) and shows those set.
export function channelDataPanel(base) {
  const results = h("div", { "aria-live": "polite" });
  const input = h("input", { type: "text", name: "channel", autocomplete: "off", spellcheck: "false", placeholder: "channel id (UUID)" });
  const form = h("form", { class: "inline", "aria-label": "Add a channel" }, field("Channel id", input), h("button", { type: "submit" }, "Look up"));
  const refresh = async () => {
    const channels = knownChannels();
    if (!channels.length) return replace(results, notice("Add a channel id to look up its data for this recipient."));
    const rows = await Promise.all(
      channels.map(async (channel) => {
        try {
          const answer = await get(`${base}/channel_data/${encodeURIComponent(channel)}`);
          return [h("code", {}, channel), tree(answer.data, 3)];
        } catch (error) {
          if (error instanceof ApiError && (error.status === 404 || error.status === 422)) return [h("code", {}, channel), "not set"];
          throw error;
        }
      }),
    );
    replace(results, table(["Channel", "Data"], rows));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const channel = input.value.trim();
    if (!channel) return;
    localStorage.setItem(CHANNELS_ITEM, JSON.stringify([...new Set([...knownChannels(), channel])]));
    input.value = "";
    refresh().catch((error) => replace(results, notice(error.message, "error")));
  });
  refresh().catch((error) => replace(results, notice(error.message, "error")));
  return section("Channel data", form, results);
}

// A section filled by `load`; a 404 means the API has no such route (yet): "not available".
export function loadedSection(title, load, render) {
  const body = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  load()
    .then((answer) => replace(body, render(answer)))
    .catch((error) => {
      const unavailable = error instanceof ApiError && error.status === 404;
      replace(body, unavailable ? notice("Not available on this API.") : notice(error.message, "error"));
    });
  return section(title, body);
}

export function preferencesPanel(base) {
  return loadedSection("Preference sets", () => get(`${base}/preferences`), (sets) => {
    const list = Array.isArray(sets) ? sets : sets.entries || [];
    if (!list.length) return notice("No preference sets.");
    return table(["Set", "Preferences", "Updated"], list.map((set) => [h("code", {}, set.id ?? "default"), tree(set, 1), text(set.updated_at ?? null)]));
  });
}

function recipientName(recipient) {
  if (!recipient || typeof recipient !== "object") return text(recipient);
  return recipient.collection ? `${recipient.collection} / ${recipient.id}` : String(recipient.id);
}

export function subscriptionsPanel(title, target, side) {
  return loadedSection(title, () => get(target), (page) => {
    const entries = page.entries || [];
    if (!entries.length) return notice("No subscriptions.");
    return table(["Recipient", "Properties", "Updated"], entries.map((entry) => [recipientName(entry[side]), tree(entry.properties ?? null, 1), text(entry.updated_at ?? null)]));
  });
}

export function schedulesPanel(target) {
  return loadedSection("Schedules", () => get(target), (page) => {
    const entries = Array.isArray(page) ? page : page.entries || [];
    if (!entries.length) return notice("No schedules.");
    return table(["Schedule", "Workflow", "Details"], entries.map((entry) => [h("code", {}, String(entry.id)), text(entry.workflow ?? null), tree(entry, 0)]));
  });
}

// "Delete …" then a confirmation naming what goes; `done` runs after the API's 204.
export function deleteControl(what, target, done) {
  const status = h("p", { "aria-live": "assertive" });
  const confirmBox = h(
    "div",
    { class: "confirm", role: "group", "aria-label": `Confirm deleting ${what}`, hidden: true },
    h("p", {}, `Delete ${what}? This cannot be undone.`),
    button("Yes, delete", async () => {
      try {
        await remove(target);
        done();
      } catch (error) {
        replace(status, notice(error.message, "error"));
      }
    }, { class: "danger", "data-testid": "confirm-delete" }),
    button("Cancel", () => {
      confirmBox.hidden = true;
    }),
  );
  const start = button(`Delete ${what}`, () => {
    confirmBox.hidden = false;
    confirmBox.querySelector("button").focus();
  }, { class: "danger", "data-testid": "delete" });
  return h("div", { class: "delete" }, start, confirmBox, status);
}
