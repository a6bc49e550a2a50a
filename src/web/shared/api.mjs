// The REST API as the pages call it: same origin, JSON in and out, the
// session token in sessionStorage (it survives a reload and dies with the
// tab; it is never put in a URL, where it would reach logs and history).

export class ApiError extends Error {
  // status 0: the server could not be reached at all.
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function makeApi(role) {
  const key = `marketplace.${role}.token`;
  const listeners = new Set();

  function token() {
    return sessionStorage.getItem(key);
  }
  // reason: "expired" when the server said the session is dead.
  function setToken(value, reason) {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
    for (const listener of listeners) listener(Boolean(value), reason);
  }

  async function request(method, path, { body, query, idempotencyKey } = {}) {
    const url = new URL(path, location.origin);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json" };
    const current = token();
    if (current) headers.Authorization = `Bearer ${current}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, "unreachable", "The server could not be reached. Check your connection and try again.");
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data?.error ?? {};
      // A dead session ends the page's login too, wherever it was noticed.
      if (response.status === 401 && current && path !== "/v1/sessions") setToken(null, "expired");
      throw new ApiError(response.status, error.code ?? "error", error.message ?? `The server answered ${response.status}.`);
    }
    return data;
  }

  return {
    token,
    setToken,
    onSessionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: (path, query) => request("GET", path, { query }),
    post: (path, body, options) => request("POST", path, { body, ...options }),
    patch: (path, body) => request("PATCH", path, { body }),
    del: (path) => request("DELETE", path),
    async login(username, password) {
      const answer = await request("POST", "/v1/sessions", { body: { username, password } });
      setToken(answer.token);
      return answer;
    },
    async logout() {
      try {
        await request("DELETE", "/v1/sessions/current");
      } finally {
        setToken(null);
      }
    },
  };
}
