// Building the page without HTML strings: every value is set as text (textContent) or as an
// attribute of an allowed name, never parsed as markup. Links are made only for http(s): URLs.

const ATTRIBUTES = new Set([
  "id", "class", "type", "name", "value", "for", "role", "hidden", "disabled", "required", "placeholder",
  "autocomplete", "spellcheck", "max", "min", "open", "colspan", "accept", "download", "rel", "target",
  "aria-label", "aria-live", "aria-busy", "aria-current", "aria-describedby", "aria-valuenow", "tabindex",
  "data-testid", "title", "scope",
]);

// h("p", {class: "x"}, "text", child, ...): an element; strings become text nodes, null/false are skipped.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (ATTRIBUTES.has(name)) {
      element.setAttribute(name, value === true ? "" : String(value));
    } else {
      throw new Error(`attribute ${name} is not allowed`);
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

// The URL if it is an absolute http: or https: URL, else null (javascript:, data:, relative ...).
export function httpUrl(text) {
  if (typeof text !== "string") return null;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// A link that opens outside the console for an http(s) URL; plain text for anything else.
export function externalLink(text) {
  const url = httpUrl(text);
  if (url === null) return h("span", { class: "text" }, String(text));
  const link = h("a", { rel: "noopener noreferrer nofollow", target: "_blank" }, String(text));
  link.href = url; // a property set from a checked URL, never markup
  return link;
}

// A link inside the console (a #/... route); `route` is built by the caller from encoded parts.
export function routeLink(route, ...children) {
  const link = h("a", {}, ...children);
  link.href = `#${route}`;
  return link;
}

export function button(label, onclick, attributes = {}) {
  return h("button", { type: "button", ...attributes, onclick }, label);
}

export function field(label, input) {
  const id = input.id || `field-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

export function table(headings, rows) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", { scope: "col" }, heading)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
  );
}

export function section(title, ...children) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...children);
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, text);
}
