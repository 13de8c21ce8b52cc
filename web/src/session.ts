// The token lives in sessionStorage, not localStorage: it is a bearer credential
// valid for days, and sessionStorage keeps it to this tab (it survives the
// reloads the live view relies on) and forgets it when the tab is closed, so a
// shared computer does not stay signed in and other tabs cannot pick it up.

export interface Session {
  token: string;
  email: string;
}

const KEY = "careerops.session";

export function loadSession(): Session | null {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    if (value && typeof value === "object" && "token" in value && "email" in value) {
      const { token, email } = value as Record<string, unknown>;
      if (typeof token === "string" && typeof email === "string") return { token, email };
    }
  } catch {
    // Unreadable storage counts as signed out.
  }
  return null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The account a token is for (its `sub`), or null if it cannot be read. */
export function accountOf(token: string): string | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(payload));
    const sub = claims && typeof claims === "object" && (claims as Record<string, unknown>).sub;
    return typeof sub === "string" && sub ? sub : null;
  } catch {
    return null;
  }
}
