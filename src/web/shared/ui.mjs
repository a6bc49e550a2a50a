// What both sites' pages are made of: the view library, the hash router,
// money and error wording, and the small components every page uses.
import { html, render, useState, useEffect, useRef, useCallback } from "../vendor/htm-preact.mjs";

export { html, render, useState, useEffect, useRef, useCallback };

// "#/item/3-1?offset=50" -> { parts: ["item", "3-1"], query: URLSearchParams }
function parseHash() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = hash.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(search) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const changed = () => setRoute(parseHash());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function navigate(path, query) {
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== "")).toString() : "";
  location.hash = "#/" + path + (search ? "?" + search : "");
}

export function link(path) {
  return "#/" + path;
}

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
// Prices come as decimal numbers with at most two decimals (exact cents).
export function money(amount) {
  return amount === null || amount === undefined ? "—" : dollars.format(amount);
}

// The words shown for an error, by its code; the server's message otherwise.
const WORDS = {
  unreachable: "The server could not be reached. Check your connection and try again.",
  unauthenticated: "Your session has ended. Please log in again.",
  bad_credentials: "That username and password do not match an account.",
  username_taken: "That username is taken. Choose another one.",
  too_many_requests: "Too many attempts. Wait a moment and try again.",
  payment_declined: "Your card was declined. Nothing was charged; check the card details or use another card.",
  insufficient_quantity: "Not enough units are in stock for your cart. Lower the quantity or remove the line.",
  cart_empty: "Your cart is empty.",
  cart_full: "Your cart holds the most lines it can (100). Buy or remove some first.",
  purchase_in_progress: "This cart is already being bought. Wait a moment, then look at your purchases.",
  already_rated: "You have already rated this item.",
  unavailable: "The service is busy or restarting. Try again in a moment.",
  deadline_exceeded: "The server took too long to answer. Try again.",
};

export function describe(error) {
  if (!error) return "";
  if (error.code === "too_many_requests" || error.status === 429) return WORDS.too_many_requests;
  return WORDS[error.code] ?? error.message ?? String(error);
}

// A form's failure or success line, read out by screen readers as it appears.
export function Alert({ error, children }) {
  if (error) return html`<p class="alert error" role="alert">${describe(error)}</p>`;
  if (children) return html`<p class="alert ok" role="status">${children}</p>`;
  return null;
}

let fieldIds = 0;
// A labelled input. Every input of the sites is made by it, so none lacks a label.
export function Field({ label, hint, ...input }) {
  const id = useRef(null);
  if (id.current === null) id.current = `field-${++fieldIds}`;
  const hintId = hint ? `${id.current}-hint` : undefined;
  return html`<div class="field">
    <label for=${id.current}>${label}</label>
    <input id=${id.current} aria-describedby=${hintId} ...${input} />
    ${hint && html`<small id=${hintId}>${hint}</small>`}
  </div>`;
}

export function Select({ label, options, ...select }) {
  const id = useRef(null);
  if (id.current === null) id.current = `field-${++fieldIds}`;
  return html`<div class="field">
    <label for=${id.current}>${label}</label>
    <select id=${id.current} ...${select}>
      ${options.map(([value, text]) => html`<option value=${value}>${text}</option>`)}
    </select>
  </div>`;
}

// Previous/next links over a list read `limit` at a time: a page shorter
// than the limit is the last one (the API's rule). `next` overrides where
// the next page starts when a page does not end at offset + limit;
// `children` replaces the "Items 21–40" line.
export function Pager({ offset, limit, count, onPage, label = "Pages", next, children }) {
  const first = offset === 0;
  const end = next ?? (count < limit ? null : offset + limit);
  if (first && end === null) return null;
  return html`<nav class="pager" aria-label=${label}>
    <button type="button" disabled=${first} onClick=${() => onPage(Math.max(0, offset - limit))}>Previous</button>
    <span>${children ?? `Items ${count === 0 ? 0 : offset + 1}–${offset + count}`}</span>
    <button type="button" disabled=${end === null} onClick=${() => onPage(end)}>Next</button>
  </nav>`;
}

// Runs `load` when its inputs change; gives its data, error and a reload.
export function useLoad(load, inputs) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ loading: false, data, error: null }),
      (error) => live && setState({ loading: false, data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [...inputs, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}

// The page frame: the site's name, its navigation and the page's heading.
export function Frame({ site, nav, title, children }) {
  useEffect(() => {
    document.title = `${title} · ${site}`;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [title]);
  return html`<header class="top">
      <a class="brand" href="#/">${site}</a>
      <nav aria-label="Main">${nav}</nav>
    </header>
    <main id="main" tabindex="-1">
      <h1>${title}</h1>
      ${children}
    </main>`;
}
