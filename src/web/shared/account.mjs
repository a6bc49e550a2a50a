// Log in and create an account: the same on both sites.
import { html, useState, useEffect, Alert, Field, navigate, link } from "./ui.mjs";

function useSubmit(action) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await action(new FormData(event.currentTarget));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }
  return { busy, error, submit };
}

// `notice`: why the page is shown (e.g. the session ended).
export function LoginForm({ api, notice, next = "" }) {
  const { busy, error, submit } = useSubmit(async (form) => {
    await api.login(form.get("username"), form.get("password"));
    navigate(next);
  });
  return html`<form class="card" onSubmit=${submit} aria-label="Log in">
    ${notice && !error && html`<p class="alert error" role="alert">${notice}</p>`}
    <${Alert} error=${error} />
    <${Field} label="Username" name="username" autocomplete="username" required maxlength="32" />
    <${Field} label="Password" name="password" type="password" autocomplete="current-password" required />
    <div class="actions">
      <button type="submit" disabled=${busy}>${busy ? "Logging in…" : "Log in"}</button>
      <a href=${link("signup")}>Create an account</a>
    </div>
  </form>`;
}

export function SignupForm({ api }) {
  const { busy, error, submit } = useSubmit(async (form) => {
    const username = form.get("username");
    const password = form.get("password");
    await api.post("/v1/accounts", { username, password, name: form.get("name") });
    await api.login(username, password);
    navigate("");
  });
  return html`<form class="card" onSubmit=${submit} aria-label="Create an account">
    <${Alert} error=${error} />
    <${Field} label="Your name" name="name" autocomplete="name" required maxlength="32" />
    <${Field} label="Username" name="username" autocomplete="username" required maxlength="32" />
    <${Field} label="Password" name="password" type="password" autocomplete="new-password" required
      minlength="8" maxlength="128" hint="8 characters or more." />
    <div class="actions">
      <button type="submit" disabled=${busy}>${busy ? "Creating…" : "Create account"}</button>
      <a href=${link("login")}>I have an account</a>
    </div>
  </form>`;
}

export function LogoutButton({ api }) {
  const [busy, setBusy] = useState(false);
  async function logout() {
    setBusy(true);
    try {
      await api.logout();
    } catch {
      // The token is gone from the tab either way; the server's session
      // then ends by its timeout.
    }
    navigate("login");
  }
  return html`<button type="button" class="plain" onClick=${logout} disabled=${busy}>Log out</button>`;
}

// Whether the tab holds a session, and why it ended when the server ended it.
export function useSession(api) {
  const [loggedIn, setLoggedIn] = useState(Boolean(api.token()));
  const [notice, setNotice] = useState(null);
  useEffect(() => api.onSessionChange((live, reason) => {
    setLoggedIn(live);
    setNotice(!live && reason === "expired" ? "Your session has ended. Please log in again." : null);
  }), []);
  return { loggedIn, notice };
}

// The page shown without a session: the sign-up form on #/signup, else the
// login form, which returns to the page asked for.
export function loggedOutPage({ api, route, notice, signupTitle }) {
  const [page] = route.parts;
  if (page === "signup") return { title: signupTitle, body: html`<${SignupForm} api=${api} />` };
  const next = page === "login" || page === undefined ? "" : route.parts.join("/");
  return { title: "Log in", body: html`<${LoginForm} api=${api} notice=${notice} next=${next} />` };
}
