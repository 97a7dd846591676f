// The users, objects and tenants pages: a paged list, and one recipient's page.
import { get, path } from "./api.js";
import { h, routeLink, section } from "./dom.js";
import {
  channelDataPanel, deleteControl, openById, pagedList, preferencesPanel, propertiesPanel, schedulesPanel,
  subscriptionsPanel, text,
} from "./recipient.js";

const USER_RESERVED = ["id", "name", "email", "avatar", "phone_number", "timezone", "locale", "created_at", "updated_at"];
const TENANTS = "$tenants";
const enc = encodeURIComponent;

function without(record, names) {
  return Object.fromEntries(Object.entries(record).filter(([name]) => !names.includes(name) && name !== "__typename"));
}

function cursor(query) {
  return { after: query.get("after"), before: query.get("before"), page_size: 25 };
}

export async function usersList(query, go) {
  return [
    section("Open a user", openById("User id", (id) => go(`/users/${enc(id)}`))),
    await pagedList({
      title: "Users",
      route: "/users",
      headings: ["Id", "Name", "Email", "Updated"],
      load: () => get(path("users"), cursor(query)),
      row: (user) => [routeLink(`/users/${enc(user.id)}`, user.id), text(user.name ?? null), text(user.email ?? null), text(user.updated_at ?? null)],
    }),
  ];
}

export async function userPage(id, go) {
  const base = path("users", id);
  const user = await get(base);
  return [
    h("h1", { class: "title" }, "User ", h("code", {}, user.id)),
    propertiesPanel("Properties", user, USER_RESERVED, without(user, USER_RESERVED)),
    channelDataPanel(base),
    preferencesPanel(base),
    subscriptionsPanel("Subscriptions", `${base}/subscriptions`, "object"),
    schedulesPanel(`${base}/schedules`),
    section("Delete", deleteControl(`user ${user.id}`, base, () => go("/users"))),
  ];
}

export function objectsHome(go) {
  const open = openById("Collection", (collection) => go(`/objects/${enc(collection)}`));
  return [section("Objects", h("p", {}, "Objects are listed by collection."), open)];
}

export async function objectsList(collection, query, go) {
  return [
    section("Open an object", openById("Object id", (id) => go(`/objects/${enc(collection)}/${enc(id)}`))),
    await pagedList({
      title: `Objects in ${collection}`,
      route: `/objects/${enc(collection)}`,
      headings: ["Id", "Name", "Updated"],
      load: () => get(path("objects", collection), cursor(query)),
      row: (object) => [
        routeLink(`/objects/${enc(collection)}/${enc(object.id)}`, object.id),
        text(object.properties?.name ?? null),
        text(object.updated_at ?? null),
      ],
    }),
  ];
}

export async function objectPage(collection, id, go) {
  const base = path("objects", collection, id);
  const object = await get(base);
  const properties = object.properties || {};
  const reserved = { id: object.id, collection: object.collection, name: properties.name ?? null, created_at: object.created_at ?? null, updated_at: object.updated_at ?? null };
  return [
    h("h1", { class: "title" }, "Object ", h("code", {}, `${collection} / ${object.id}`)),
    propertiesPanel("Properties", reserved, Object.keys(reserved), without(properties, ["name"])),
    channelDataPanel(base),
    preferencesPanel(base),
    subscriptionsPanel("Subscribers", `${base}/subscriptions`, "recipient"),
    section("Delete", deleteControl(`object ${collection} / ${object.id}`, base, () => go(`/objects/${enc(collection)}`))),
  ];
}

export async function tenantsList(query, go) {
  return [
    section("Open a tenant", openById("Tenant id", (id) => go(`/tenants/${enc(id)}`))),
    await pagedList({
      title: "Tenants",
      route: "/tenants",
      headings: ["Id", "Name", "Updated"],
      load: () => get(path("tenants"), cursor(query)),
      row: (tenant) => [routeLink(`/tenants/${enc(tenant.id)}`, tenant.id), text(tenant.name ?? null), text(tenant.updated_at ?? null)],
    }),
  ];
}

export async function tenantPage(id, go) {
  const tenant = await get(path("tenants", id));
  const reserved = ["id", "name", "settings", "created_at", "updated_at"];
  const asObject = path("objects", TENANTS, id);
  return [
    h("h1", { class: "title" }, "Tenant ", h("code", {}, tenant.id)),
    propertiesPanel("Properties", tenant, reserved, without(tenant, reserved)),
    channelDataPanel(asObject),
    preferencesPanel(asObject),
    subscriptionsPanel("Subscribers", `${asObject}/subscriptions`, "recipient"),
    section("Delete", deleteControl(`tenant ${tenant.id}`, path("tenants", id), () => go("/tenants"))),
  ];
}
