// The sellers' pages: my items (paged), register, change a price, withdraw
// units, my rating. Routes are hashes (#/items?offset=20).
import {
  html, render, useState, useEffect, useRoute, navigate, link, money, Alert, Field, Select, Pager, Frame, useLoad,
} from "../shared/ui.mjs";
import { makeApi } from "../shared/api.mjs";
import { LogoutButton, useSession, loggedOutPage } from "../shared/account.mjs";

const api = makeApi("seller");
const SITE = "Marketplace for sellers";
const PAGE = 20;

function Nav({ loggedIn }) {
  if (!loggedIn) return html`<a href=${link("login")}>Log in</a><a href=${link("signup")}>Create account</a>`;
  return html`<a href=${link("")}>My items</a><a href=${link("register")}>Register an item</a>
    <a href=${link("rating")}>My rating</a><${LogoutButton} api=${api} />`;
}

// One item's row: its price and its units can be changed in place.
function ItemRow({ item: initial }) {
  const [item, setItem] = useState(initial);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setItem(initial), [initial]);
  async function act(event, action, message) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const answer = await action(form);
      setItem((it) => ({ ...it, ...answer }));
      setDone(message(answer));
      event.target.reset?.();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const id = encodeURIComponent(item.id);
  return html`<li>
    <h2>${item.name}</h2>
    <div class="price">${money(item.price)}</div>
    <div class="muted">${item.id} · category ${item.category} · ${item.condition === "new" ? "New" : "Used"}</div>
    <div>${item.quantity > 0 ? `${item.quantity} for sale` : html`<span class="short">None for sale</span>`}</div>
    <div class="muted">Rated ${item.feedback.up} up, ${item.feedback.down} down</div>
    <${Alert} error=${error}>${done}<//>
    <form aria-label=${`Change the price of ${item.name}`}
      onSubmit=${(e) => act(e, (f) => api.patch(`/v1/items/${id}`, { price: Number(f.get("price")) }),
        (a) => `Price now ${money(a.price)}.`)}>
      <div class="row">
        <${Field} label="New price" name="price" type="number" inputmode="decimal" step="0.01" min="0.01" required />
        <div class="field"><button type="submit" class="plain" disabled=${busy}>Change price</button></div>
      </div>
    </form>
    <form aria-label=${`Withdraw units of ${item.name}`}
      onSubmit=${(e) => act(e, (f) => api.del(`/v1/items/${id}?quantity=${encodeURIComponent(f.get("quantity"))}`),
        (a) => `${a.quantity} left for sale.`)}>
      <div class="row">
        <${Field} label="Units to withdraw" name="quantity" type="number" inputmode="numeric" min="1" required />
        <div class="field"><button type="submit" class="plain" disabled=${busy || item.quantity === 0}>Withdraw</button></div>
      </div>
    </form>
  </li>`;
}

function ItemsPage({ query }) {
  const offset = Number(query.get("offset") ?? 0) || 0;
  const list = useLoad(() => api.get("/v1/items", { limit: PAGE, offset }), [offset]);
  if (list.error) return html`<${Alert} error=${list.error} />`;
  if (!list.data) return html`<p aria-busy="true">Loading…</p>`;
  const items = list.data.items;
  return html`${items.length === 0 && offset === 0 &&
      html`<p>You have no items yet. <a href=${link("register")}>Register your first item</a></p>`}
    <ul class="items">${items.map((item) => html`<${ItemRow} key=${item.id} item=${item} />`)}</ul>
    <${Pager} offset=${offset} limit=${PAGE} count=${items.length} label="Item pages"
      onPage=${(o) => navigate("", { offset: o || undefined })} />`;
}

function RegisterPage() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const quantity = Number(form.get("quantity"));
    const item = {
      name: form.get("name").trim(),
      category: Number(form.get("category")),
      keywords: form.get("keywords").split(/[\s,]+/).filter(Boolean),
      condition: form.get("condition"),
      price: Number(form.get("price")),
      quantity,
    };
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const answer = await api.post("/v1/items", item);
      // An item equal to one of yours (name, category, keywords, condition,
      // price) gets the units added instead of a second entry.
      setDone(answer.quantity > quantity
        ? `Added ${quantity} units to your item ${answer.item_id}, the same as this one: it now has ${answer.quantity}.`
        : `Registered item ${answer.item_id} with ${answer.quantity} units.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="card" onSubmit=${submit} aria-label="Register an item">
    <${Alert} error=${error}>${done && html`${done} <a href=${link("")}>See my items</a>`}<//>
    <${Field} label="Name" name="name" required maxlength="32" />
    <div class="row">
      <${Field} label="Category" name="category" type="number" inputmode="numeric" min="0" required />
      <${Select} label="Condition" name="condition" options=${[["new", "New"], ["used", "Used"]]} />
    </div>
    <${Field} label="Keywords" name="keywords" maxlength="60" hint="Up to 5 words of at most 8 letters, e.g. red lamp." />
    <div class="row">
      <${Field} label="Price" name="price" type="number" inputmode="decimal" step="0.01" min="0.01" required />
      <${Field} label="Quantity" name="quantity" type="number" inputmode="numeric" min="1" required />
    </div>
    <button type="submit" disabled=${busy}>${busy ? "Registering…" : "Register"}</button>
  </form>`;
}

function RatingPage() {
  const rating = useLoad(() => api.get("/v1/rating"), []);
  if (rating.error) return html`<${Alert} error=${rating.error} />`;
  if (!rating.data) return html`<p aria-busy="true">Loading…</p>`;
  return html`<div class="card"><dl class="facts">
    <dt>Votes up</dt><dd>${rating.data.up}</dd><dt>Votes down</dt><dd>${rating.data.down}</dd>
  </dl></div>`;
}

function App() {
  const route = useRoute();
  const { loggedIn, notice } = useSession(api);
  const [page] = route.parts;
  let title;
  let body;
  if (!loggedIn) {
    ({ title, body } = loggedOutPage({ api, route, notice, signupTitle: "Create a seller account" }));
  } else if (page === undefined || page === "login" || page === "signup") {
    title = "My items";
    body = html`<${ItemsPage} query=${route.query} key=${route.query.toString()} />`;
  } else if (page === "register") {
    title = "Register an item";
    body = html`<${RegisterPage} />`;
  } else if (page === "rating") {
    title = "My rating";
    body = html`<${RatingPage} />`;
  } else {
    title = "Not found";
    body = html`<p>There is no such page. <a href=${link("")}>Go to my items</a></p>`;
  }
  return html`<${Frame} site=${SITE} title=${title} nav=${html`<${Nav} loggedIn=${loggedIn} />`}>${body}<//>`;
}

render(html`<${App} />`, document.getElementById("app"));
