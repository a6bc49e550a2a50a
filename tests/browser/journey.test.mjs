// The two web sites driven in Debian's Chromium against a running system:
// a seller registers an item in the seller pages, a buyer finds it, buys
// it and votes on it in the storefront.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SELLER, BUYER, launch, newPage, shot, checkAccessible, signUp, foreign } from "./pages.mjs";

const run = Date.now().toString(36);
const seller = { username: `s${run}`, password: "password1", name: "Sam Seller" };
const buyer = { username: `b${run}`, password: "password1", name: "Bea Buyer" };
const category = String(100 + (Date.now() % 100000));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the pages are served with a strict policy and unknown paths stay JSON", async () => {
  for (const base of [SELLER, BUYER]) {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.headers.get("content-security-policy"), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("cache-control"), "no-cache");
    const again = await fetch(`${base}/`, { headers: { "If-None-Match": page.headers.get("etag") } });
    assert.equal(again.status, 304);
    const html = await page.text();
    const script = html.match(/src="(\/assets\/app\.[0-9a-f]{10}\.mjs)"/)[1];
    const asset = await fetch(`${base}${script}`);
    assert.match(asset.headers.get("content-type"), /^text\/javascript/);
    assert.match(asset.headers.get("cache-control"), /immutable/);
    const missing = await fetch(`${base}/index.html`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "not_found");
  }
});

test("a seller registers, reprices and withdraws; a buyer finds, buys and votes", async () => {
  const s = await newPage(browser);
  await signUp(s, SELLER, seller);
  await shot(s, "seller-items-empty");
  await s.getByRole("link", { name: "Register an item", exact: true }).click();
  const register = async (quantity) => {
    await s.getByLabel("Name").fill("Red lamp");
    await s.getByLabel("Category").fill(category);
    await s.getByLabel("Keywords").fill("red lamp");
    await s.getByLabel("Price").fill("12.50");
    await s.getByLabel("Quantity").fill(String(quantity));
    await s.getByRole("button", { name: "Register" }).click();
  };
  await register(5);
  await s.getByText(/Registered item .* with 5 units/).waitFor();
  await register(2);
  await s.getByText(/Added 2 units to your item .*: it now has 7/).waitFor();
  await shot(s, "seller-register");
  await checkAccessible(s, "seller register");
  await s.getByRole("link", { name: "My items", exact: true }).click();
  await s.getByText("7 for sale").waitFor();
  await s.getByLabel("New price").fill("10");
  await s.getByRole("button", { name: "Change price" }).click();
  await s.getByText("Price now $10.00.").waitFor();
  await s.getByLabel("Units to withdraw").fill("1");
  await s.getByRole("button", { name: "Withdraw" }).click();
  await s.getByText("6 left for sale.").waitFor();
  await shot(s, "seller-items");
  await checkAccessible(s, "seller items");

  const b = await newPage(browser);
  await signUp(b, BUYER, buyer);
  await b.getByLabel("Category").fill(category);
  await b.getByLabel("Keywords").fill("lamp");
  await b.getByRole("button", { name: "Search" }).click();
  await b.getByText("Matches 1 of your keywords").waitFor();
  await shot(b, "buyer-search");
  await checkAccessible(b, "buyer search");
  await b.getByRole("link", { name: "Red lamp" }).click();
  await b.getByText("6", { exact: true }).waitFor();
  await b.getByLabel("Quantity").fill("2");
  await b.getByRole("button", { name: "Add to cart" }).click();
  await b.getByText("Added 2 to your cart.").waitFor();
  await shot(b, "buyer-item");

  // A reload keeps the session (the token is in sessionStorage).
  await b.reload();
  await b.getByRole("button", { name: "Log out" }).waitFor();
  await b.getByRole("link", { name: "Cart", exact: true }).click();
  await b.getByText("$20.00").first().waitFor();
  await shot(b, "buyer-cart");
  await checkAccessible(b, "buyer cart");
  await b.getByRole("link", { name: "Check out" }).click();

  // A declined card (fails the Luhn check) is told in words, nothing bought.
  await b.getByLabel("Name on the card").fill("Bea Buyer");
  await b.getByLabel("Card number").fill("4111 1111 1111 1112");
  await b.getByLabel("Expiry (MM/YY)").fill("12/30");
  await b.getByRole("button", { name: /^Pay/ }).click();
  await b.getByRole("alert").getByText(/declined|card/i).waitFor();
  await shot(b, "buyer-checkout-error");
  assert.equal(await b.getByLabel("Card number").getAttribute("autocomplete"), "cc-number");
  assert.equal(await b.getByLabel("Card number").getAttribute("inputmode"), "numeric");

  await b.getByLabel("Card number").fill("4111 1111 1111 1111");
  await b.getByRole("button", { name: /^Pay/ }).click();
  await b.getByText(/your purchase is paid/).waitFor();
  await shot(b, "buyer-receipt");
  await b.getByRole("link", { name: "See your purchases" }).click();
  await b.getByRole("cell", { name: "Red lamp", exact: true }).waitFor();
  await b.getByRole("button", { name: "Up: Red lamp" }).click();
  await b.getByText("Thanks: you voted up.").waitFor();
  await shot(b, "buyer-purchases");
  await checkAccessible(b, "buyer purchases");

  await s.getByRole("link", { name: "My rating", exact: true }).click();
  await s.getByText("Votes up").waitFor();
  assert.equal(await s.locator("dd").first().textContent(), "1");
  await shot(s, "seller-rating");

  // Logout ends the session and clears the tab's token.
  await b.getByRole("button", { name: "Log out" }).click();
  await b.getByRole("button", { name: "Log in" }).waitFor();
  assert.equal(await b.evaluate(() => sessionStorage.getItem("marketplace.buyer.token")), null);
  await b.goto(`${BUYER}/#/cart`);
  await b.getByRole("button", { name: "Log in" }).waitFor();

  // At phone width the pages still pass the accessibility check.
  const phone = await newPage(browser, 390);
  await phone.goto(`${BUYER}/#/login`);
  await phone.getByLabel("Username").fill(buyer.username);
  await phone.getByLabel("Password").fill(buyer.password);
  await phone.getByRole("button", { name: "Log in" }).click();
  await phone.getByRole("link", { name: "Purchases", exact: true }).click();
  await phone.getByRole("cell", { name: "Red lamp", exact: true }).waitFor();
  await shot(phone, "buyer-purchases-phone");
  await checkAccessible(phone, "buyer purchases at phone width");

  assert.deepEqual(foreign, [], "requests to another origin");
  for (const page of [s, b, phone]) assert.deepEqual(page.errors, [], "errors in the page");
});
