// The buyers' storefront: search, item, cart, checkout, purchases.
// Routes are hashes (#/item/3-1), so the server serves one page.
import {
  html, render, useState, useEffect, useRoute, navigate, link, money, describe,
  Alert, Field, Pager, Frame, useLoad,
} from "../shared/ui.mjs";
import { makeApi } from "../shared/api.mjs";
import { LogoutButton, useSession, loggedOutPage } from "../shared/account.mjs";

const api = makeApi("buyer");
const SITE = "Marketplace";
const PAGE = 20;

const cents = (amount) => Math.round(amount * 100);

function Nav({ loggedIn }) {
  if (!loggedIn) {
    return html`<a href=${link("login")}>Log in</a><a href=${link("signup")}>Create account</a>`;
  }
  return html`<a href=${link("")}>Search</a>
    <a href=${link("cart")}>Cart</a>
    <a href=${link("purchases")}>Purchases</a>
    <${LogoutButton} api=${api} />`;
}

// Keywords as typed: commas or spaces between them.
function splitKeywords(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

function SearchPage({ query }) {
  const category = query.get("category") ?? "";
  const keywords = query.get("keywords") ?? "";
  const offset = Number(query.get("offset") ?? 0) || 0;
  const searched = category !== "";
  const results = useLoad(
    () => (searched
      ? api.get("/v1/items", { category, keywords: splitKeywords(keywords).join(","), limit: PAGE, offset })
      : Promise.resolve(null)),
    [category, keywords, offset],
  );
  // What the user types is the page's own until the next search: the page
  // re-renders while results load, and a field bound to the address would
  // put the old words back under the user's fingers. Every navigation (a
  // search, Back) fills the fields from the address again, even one whose
  // words equal the last ones the page saw: a Back right after a search
  // can reach the page before the search's own address did.
  const [draft, setDraft] = useState({ category, keywords });
  useEffect(() => setDraft({ category, keywords }), [query]);
  const edit = (name) => (event) => {
    const value = event.currentTarget.value;
    setDraft((d) => ({ ...d, [name]: value }));
  };
  function submit(event) {
    event.preventDefault();
    navigate("", { category: draft.category, keywords: draft.keywords.trim() });
  }
  const items = results.data?.items ?? [];
  return html`<form class="card wide" role="search" onSubmit=${submit} aria-label="Search items">
      <div class="row">
        <${Field} label="Category" name="category" type="number" inputmode="numeric" min="0" required
          value=${draft.category} onInput=${edit("category")} />
        <${Field} label="Keywords" name="keywords" value=${draft.keywords} onInput=${edit("keywords")} maxlength="60"
          hint="Up to 5 words, e.g. red lamp." />
        <div class="field"><button type="submit">Search</button></div>
      </div>
    </form>
    ${searched && html`<section aria-label="Results" aria-busy=${results.loading}>
      <${Alert} error=${results.error} />
      ${!results.loading && !results.error && items.length === 0 &&
        html`<p class="muted">No item of category ${category} matches${keywords ? ` “${keywords}”` : ""}.</p>`}
      <ul class="items">
        ${items.map((item) => html`<li key=${item.id}>
          <h2><a href=${link(`item/${item.id}`)}>${item.name}</a></h2>
          <div class="price">${money(item.price)}</div>
          <div class="muted">${item.condition === "new" ? "New" : "Used"} · ${item.quantity} in stock</div>
          ${keywords && html`<div>Matches ${item.score} of your keywords</div>`}
          <div class="muted">Rated ${item.feedback.up} up, ${item.feedback.down} down</div>
        </li>`)}
      </ul>
      ${!results.error && html`<${Pager} offset=${offset} limit=${PAGE} count=${items.length} label="Result pages"
        onPage=${(o) => navigate("", { category, keywords, offset: o || undefined })} />`}
    </section>`}`;
}

function ItemPage({ id }) {
  const item = useLoad(() => api.get(`/v1/items/${encodeURIComponent(id)}`), [id]);
  const sellerId = item.data?.seller_id;
  const rating = useLoad(
    () => (sellerId === undefined ? Promise.resolve(null) : api.get(`/v1/sellers/${sellerId}/rating`)),
    [sellerId],
  );
  const [added, setAdded] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function add(event) {
    event.preventDefault();
    const quantity = Number(new FormData(event.currentTarget).get("quantity"));
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      await api.post("/v1/cart/items", { item_id: id, quantity });
      setAdded(quantity);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  if (item.error) return html`<${Alert} error=${item.error} />`;
  if (!item.data) return html`<p aria-busy="true">Loading…</p>`;
  const it = item.data;
  return html`<article class="card">
      <h2>${it.name}</h2>
      <p class="price">${money(it.price)}</p>
      <dl class="facts">
        <dt>Item</dt><dd>${it.id}</dd>
        <dt>Condition</dt><dd>${it.condition === "new" ? "New" : "Used"}</dd>
        <dt>In stock</dt><dd>${it.quantity}</dd>
        <dt>Category</dt><dd>${it.category}</dd>
        <dt>Keywords</dt><dd><ul class="tags">${it.keywords.map((k) => html`<li key=${k}>${k}</li>`)}</ul></dd>
        <dt>Item rating</dt><dd>${it.feedback.up} up, ${it.feedback.down} down</dd>
        <dt>Seller</dt><dd>Seller ${it.seller_id}${rating.data &&
          html`, rated ${rating.data.up} up and ${rating.data.down} down`}</dd>
      </dl>
    </article>
    <form class="card" onSubmit=${add} aria-label="Add to cart">
      <${Alert} error=${error}>${added && html`Added ${added} to your cart. <a href=${link("cart")}>Go to the cart</a>`}<//>
      ${it.quantity > 0
        ? html`<div class="row">
            <${Field} label="Quantity" name="quantity" type="number" inputmode="numeric" min="1" max=${it.quantity}
              defaultValue="1" required />
            <div class="field"><button type="submit" disabled=${busy}>Add to cart</button></div>
          </div>`
        : html`<p class="short">Sold out.</p>`}
    </form>`;
}

function CartTable({ cart, onRemove, onLower, busy }) {
  return html`<div class="table-wrap"><table>
    <caption class="muted">Prices are today's; a line short of stock is marked.</caption>
    <thead><tr><th>Item</th><th class="num">Price</th><th class="num">Quantity</th><th class="num">Subtotal</th>
      ${onRemove && html`<th><span class="muted">Action</span></th>`}</tr></thead>
    <tbody>
      ${cart.items.map((line) => html`<tr key=${line.item_id}>
        <td><a href=${link(`item/${line.item_id}`)}>${line.name}</a>
          ${line.available < line.quantity && html`<div class="short">
            ${line.available === 0 ? "Sold out" : `Only ${line.available} left`}
            ${onLower && line.available > 0 && html` <button type="button" class="plain" disabled=${busy}
              aria-label=${`Lower to ${line.available}: ${line.name}`} onClick=${() => onLower(line)}>
              Lower to ${line.available}</button>`}</div>`}</td>
        <td class="num">${money(line.price)}</td>
        <td class="num">${line.quantity}</td>
        <td class="num">${money((cents(line.price) * line.quantity) / 100)}</td>
        ${onRemove && html`<td><button type="button" class="plain" disabled=${busy}
          aria-label=${`Remove ${line.name}`} onClick=${() => onRemove(line)}>Remove</button></td>`}
      </tr>`)}
    </tbody>
    <tfoot><tr><th colspan="3">Total</th><th class="num">${cart.total === null ? "Over the limit of an order" : money(cart.total)}</th>
      ${onRemove && html`<td></td>`}</tr></tfoot>
  </table></div>`;
}

function CartPage() {
  const loaded = useLoad(() => api.get("/v1/cart"), []);
  const [cart, setCart] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setCart(loaded.data), [loaded.data]);
  async function act(action, message) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const answer = await action();
      setCart(answer ?? (await api.get("/v1/cart")));
      setDone(message);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  if (loaded.error) return html`<${Alert} error=${loaded.error} />`;
  if (!cart) return html`<p aria-busy="true">Loading…</p>`;
  const short = cart.items.some((l) => l.available < l.quantity);
  return html`<${Alert} error=${error}>${done}<//>
    ${cart.items.length === 0
      ? html`<p>Your cart is empty. <a href=${link("")}>Search for items</a></p>`
      : html`<${CartTable} cart=${cart} busy=${busy}
          onRemove=${(line) => act(() => api.del(`/v1/cart/items/${encodeURIComponent(line.item_id)}`), `Removed ${line.name}.`)}
          onLower=${(line) => act(() => api.del(`/v1/cart/items/${encodeURIComponent(line.item_id)}`
            + `?quantity=${line.quantity - line.available}`), `${line.name}: now ${line.available}.`)} />
        ${short && html`<p class="short" role="status">Some lines are short of stock: lower them before you buy.</p>`}
        <div class="actions">
          <a class="button" href=${link("checkout")}>Check out</a>
          <button type="button" class="plain" disabled=${busy}
            onClick=${() => act(() => api.post("/v1/cart/save"), "Cart saved: your next login starts with it.")}>Save cart</button>
          <button type="button" class="plain" disabled=${busy}
            onClick=${() => act(() => api.del("/v1/cart"), "Cart cleared.")}>Clear cart</button>
        </div>`}`;
}

// One key per purchase attempt, kept in the tab until the attempt has a
// final answer: a retry after a lost answer (or a reload) sends the same
// key, so the card is never charged twice.
const KEY = "marketplace.buyer.purchaseKey";
function attemptKey() {
  let key = sessionStorage.getItem(KEY);
  if (!key) {
    key = crypto.randomUUID().replaceAll("-", "");
    sessionStorage.setItem(KEY, key);
  }
  return key;
}
const finalAnswer = (error) => error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;

function CheckoutPage() {
  const cart = useLoad(() => api.get("/v1/cart"), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [receipt, setReceipt] = useState(null);
  async function buy(event) {
    event.preventDefault();
    if (busy) return;
    const form = new FormData(event.currentTarget);
    const card = {
      name: form.get("name").trim(),
      card_number: form.get("card_number").replace(/[\s-]/g, ""),
      expiration: form.get("expiration").trim(),
    };
    const code = form.get("security_code").trim();
    if (code) card.security_code = code;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post("/v1/purchases", card, { idempotencyKey: attemptKey() });
      sessionStorage.removeItem(KEY);
      setReceipt(answer);
    } catch (e) {
      if (finalAnswer(e)) sessionStorage.removeItem(KEY);
      setError(e);
      if (e.code === "insufficient_quantity") cart.reload();
    } finally {
      setBusy(false);
    }
  }
  if (receipt) {
    return html`<section class="card" aria-label="Receipt">
      <p class="alert ok" role="status">Thank you: your purchase is paid. Purchase ${receipt.purchase_id}.</p>
      <${CartTable} cart=${{ items: receipt.items.map((l) => ({ ...l, available: l.quantity })), total: receipt.total }} />
      <a href=${link("purchases")}>See your purchases</a>
    </section>`;
  }
  if (cart.error) return html`<${Alert} error=${cart.error} />`;
  if (!cart.data) return html`<p aria-busy="true">Loading…</p>`;
  if (cart.data.items.length === 0) return html`<p>Your cart is empty. <a href=${link("")}>Search for items</a></p>`;
  const retry = error && !finalAnswer(error);
  return html`<${CartTable} cart=${cart.data} />
    <form class="card" onSubmit=${buy} aria-label="Payment" aria-busy=${busy}>
      <h2>Card</h2>
      ${error && html`<p class="alert error" role="alert">${describe(error)}${retry ? " Your card is charged at most once: try again." : ""}
        ${error.code === "insufficient_quantity" && html` <a href=${link("cart")}>Change the cart</a>`}</p>`}
      <${Field} label="Name on the card" name="name" autocomplete="cc-name" required maxlength="128" />
      <${Field} label="Card number" name="card_number" autocomplete="cc-number" inputmode="numeric"
        required pattern="[0-9 ]{12,23}" maxlength="23" />
      <div class="row">
        <${Field} label="Expiry (MM/YY)" name="expiration" autocomplete="cc-exp" inputmode="numeric"
          required pattern="(0[1-9]|1[0-2])/[0-9]{2}" placeholder="MM/YY" maxlength="5" />
        <${Field} label="Security code" name="security_code" autocomplete="cc-csc" inputmode="numeric"
          pattern="[0-9]{3,4}" maxlength="4" hint="If your card has one." />
      </div>
      <button type="submit" disabled=${busy}>${busy ? "Paying…" : retry ? "Try again" : `Pay ${money(cart.data.total)}`}</button>
    </form>`;
}

// Item names for history lines (the history gives ids), read once each.
const names = new Map();
async function itemName(id) {
  if (!names.has(id)) {
    names.set(id, api.get(`/v1/items/${encodeURIComponent(id)}`).then((i) => i.name, () => id));
  }
  return names.get(id);
}

// The accessible names start with the visible word ("Up: Red lamp"), so
// speech input that says what it sees finds them.
function Vote({ itemId, name }) {
  const [state, setState] = useState({ busy: false, done: null, error: null });
  async function vote(v) {
    setState({ busy: true, done: null, error: null });
    try {
      await api.post("/v1/feedback", { item_id: itemId, vote: v });
      setState({ busy: false, done: v, error: null });
    } catch (e) {
      setState({ busy: false, done: null, error: e });
    }
  }
  if (state.done) return html`<span role="status">Thanks: you voted ${state.done}.</span>`;
  return html`<span class="actions">
    <button type="button" class="plain" disabled=${state.busy} onClick=${() => vote("up")}
      aria-label=${`Up: ${name}`}>▲ Up</button>
    <button type="button" class="plain" disabled=${state.busy} onClick=${() => vote("down")}
      aria-label=${`Down: ${name}`}>▼ Down</button>
    ${state.error && html`<span class="short" role="alert">${describe(state.error)}</span>`}
  </span>`;
}

// Reads the history so that a page shows whole purchases, each with its
// right total: the page at offset p (a multiple of PAGE) shows every
// purchase whose first line is in [p, p + PAGE), with all its lines, also
// those past p + PAGE (a purchase has at most 100 lines). So each purchase
// is on exactly one page, and "Next" skips pages that only continue one.
async function readHistory(offset) {
  const from = Math.max(0, offset - 1);
  let { purchases: lines } = await api.get("/v1/purchases", { limit: PAGE + offset - from, offset: from });
  let skipped = 0;
  if (offset > 0 && lines.length > 0) {
    const before = lines.shift().purchase_id;
    while (skipped < lines.length && lines[skipped].purchase_id === before) skipped++;
  }
  const full = lines.length === PAGE;
  const tail = lines.length > 0 ? lines[lines.length - 1].purchase_id : null;
  const ownsTail = skipped < lines.length;
  lines = lines.slice(skipped);
  let next = null;
  // Follow the last purchase until another one starts.
  for (let at = offset + PAGE; full; at += PAGE) {
    const { purchases: more } = await api.get("/v1/purchases", { limit: PAGE, offset: at });
    const end = more.findIndex((l) => l.purchase_id !== tail);
    if (ownsTail) lines = lines.concat(end < 0 ? more : more.slice(0, end));
    if (end >= 0) {
      next = offset + PAGE * Math.floor((at + end - offset) / PAGE);
      break;
    }
    if (more.length < PAGE) break;
  }
  const named = await Promise.all(lines.map(async (p) => ({ ...p, name: await itemName(p.item_id) })));
  // Lines of one purchase together, in the history's order (newest first).
  const groups = [];
  for (const line of named) {
    const last = groups[groups.length - 1];
    if (last && last.id === line.purchase_id) last.lines.push(line);
    else groups.push({ id: line.purchase_id, time: line.time, lines: [line] });
  }
  return { groups, first: offset + skipped, shown: lines.length, next };
}

function PurchasesPage({ query }) {
  const offset = Number(query.get("offset") ?? 0) || 0;
  const history = useLoad(() => readHistory(offset), [offset]);
  if (history.error) return html`<${Alert} error=${history.error} />`;
  if (!history.data) return html`<p aria-busy="true">Loading…</p>`;
  const { groups, first, shown, next } = history.data;
  return html`${groups.length === 0 && (offset === 0
      ? html`<p>No purchases yet. <a href=${link("")}>Search for items</a></p>`
      : html`<p class="muted">This page only continues a purchase shown on the page before.</p>`)}
    ${groups.map((g) => {
      const total = g.lines.reduce((sum, l) => sum + cents(l.price) * l.quantity, 0) / 100;
      return html`<section class="card" key=${g.id} aria-label=${`Purchase of ${new Date(g.time).toLocaleString()}`}>
        <h2>${new Date(g.time).toLocaleString()} · ${money(total)}</h2>
        <div class="table-wrap"><table>
          <thead><tr><th>Item</th><th class="num">Price</th><th class="num">Quantity</th><th>Your vote</th></tr></thead>
          <tbody>${g.lines.map((l) => html`<tr key=${l.item_id}>
            <td><a href=${link(`item/${l.item_id}`)}>${l.name}</a></td>
            <td class="num">${money(l.price)}</td><td class="num">${l.quantity}</td>
            <td><${Vote} itemId=${l.item_id} name=${l.name} /></td></tr>`)}</tbody>
        </table></div>
        <p class="muted">Purchase ${g.id}</p>
      </section>`;
    })}
    <${Pager} offset=${offset} limit=${PAGE} count=${shown} next=${next} label="History pages"
      onPage=${(o) => navigate("purchases", { offset: o || undefined })}>${shown > 0 ? `Lines ${first + 1}–${first + shown}` : ""}<//>`;
}

function App() {
  const route = useRoute();
  const { loggedIn, notice } = useSession(api);
  const [page, ...rest] = route.parts;
  let title;
  let body;
  if (!loggedIn) {
    ({ title, body } = loggedOutPage({ api, route, notice, signupTitle: "Create an account" }));
  } else if (page === undefined || page === "" || page === "login" || page === "signup") {
    title = "Search";
    body = html`<${SearchPage} query=${route.query} />`;
  } else if (page === "item" && rest.length === 1) {
    title = "Item";
    body = html`<${ItemPage} id=${rest[0]} key=${rest[0]} />`;
  } else if (page === "cart") {
    title = "Your cart";
    body = html`<${CartPage} />`;
  } else if (page === "checkout") {
    title = "Checkout";
    body = html`<${CheckoutPage} />`;
  } else if (page === "purchases") {
    title = "Your purchases";
    body = html`<${PurchasesPage} query=${route.query} key=${route.query.toString()} />`;
  } else {
    title = "Not found";
    body = html`<p>There is no such page. <a href=${link("")}>Go to the search</a></p>`;
  }
  return html`<${Frame} site=${SITE} title=${title} nav=${html`<${Nav} loggedIn=${loggedIn} />`}>${body}<//>`;
}

render(html`<${App} />`, document.getElementById("app"));
