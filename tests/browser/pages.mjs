// What the browser tests share: the two servers' addresses (MP_SELLER_URL
// and MP_BUYER_URL, set by run_browser_tests.sh), a page that records
// errors and requests to other origins, screenshots to MP_ARTIFACTS, the
// axe-core check, and the REST API called directly to set up data fast.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
// Put in through the DevTools protocol: the pages' policy refuses any
// script tag that is not theirs, as it should.
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const SELLER = process.env.MP_SELLER_URL;
export const BUYER = process.env.MP_BUYER_URL;
const ARTIFACTS = process.env.MP_ARTIFACTS ?? "browser-artifacts";
const CHROMIUM = process.env.MP_CHROMIUM ?? "/usr/bin/chromium";
mkdirSync(ARTIFACTS, { recursive: true });

// Every request a page made to an origin other than the two servers.
export const foreign = [];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export async function newPage(browser, width = 1100) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const origins = [new URL(SELLER).origin, new URL(BUYER).origin];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.protocol.startsWith("http") && !origins.includes(url.origin)) foreign.push(r.url());
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  page.errors = errors;
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

// axe-core in the page: no serious or critical violation.
export async function checkAccessible(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => await globalThis.axe.run(document));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [], `accessibility of ${name}`);
}

export async function signUp(page, base, account) {
  await page.goto(`${base}/#/signup`);
  await page.getByLabel("Your name").fill(account.name);
  await page.getByLabel("Username").fill(account.username);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

export async function logIn(page, base, account) {
  await page.goto(`${base}/#/login`);
  await page.getByLabel("Username").fill(account.username);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

// One REST call; a status other than `expect` fails the test.
export async function rest(base, method, path, { body, token, key, expect } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(`${base}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (expect !== undefined) assert.equal(response.status, expect, `${method} ${path}: ${text}`);
  else assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return data;
}

// A new account on one server, logged in through the API: its token.
export async function account(base, who) {
  await rest(base, "POST", "/v1/accounts", { body: who, expect: 201 });
  return (await rest(base, "POST", "/v1/sessions", { body: { username: who.username, password: who.password } })).token;
}
