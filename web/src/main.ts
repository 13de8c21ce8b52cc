// The page: sign in, then the form or a job on the left and the history on the right.
// Routes live in the URL hash (#/new, #/jobs/<id>), so a reload comes back to the same job.

import "./styles.css";

import type { App, View } from "./app";
import { h, setTitle } from "./dom";
import { forgetUnfinished, keepUnfinished, keptEmail, takeUnfinished } from "./draft";
import { whenUnauthenticated } from "./gql";
import { MY_JOBS, type Job } from "./jobs";
import { Live } from "./live";
import { clearSession, loadSession, saveSession, type Session } from "./session";
import { JobStore } from "./store";
import { authView } from "./views/auth";
import { formView, type Draft, type LetterForm } from "./views/form";
import { historyView, type HistoryView } from "./views/history";
import { jobView } from "./views/job";

/** Why the page shows the sign-in form: the user's choice, or the server refusing the token. */
type Ending = "signed-out" | "expired" | "account-deleted";

const NOTICE: Record<Ending, string> = {
  "signed-out": "",
  expired: "Your session has expired. Please sign in again.",
  "account-deleted": "Your account was deleted.",
};
/** The reason the server closes a deleted account's sockets with (4403). */
const ACCOUNT_DELETED = "Account deleted";
const JOB_ROUTE = /^#\/jobs\/([0-9a-fA-F-]{1,64})$/;

interface SignedIn {
  app: App;
  session: Session;
  history: HistoryView;
  outlet: HTMLElement;
  form: LetterForm | null;
  draft: Draft | null;
  view: View | null;
  stopMyJobs(): void;
}

const root = document.getElementById("app") as HTMLElement;
let current: SignedIn | null = null;

function showAuth(notice = ""): void {
  const email = keptEmail();
  const view = authView(
    (session) => {
      saveSession(session);
      const unfinished = takeUnfinished(session.token);
      if (unfinished?.hash) history.replaceState(null, "", unfinished.hash);
      enter(session, unfinished?.draft ?? null);
    },
    notice,
    email,
  );
  root.replaceChildren(h("main", { class: "auth-page" }, view));
  setTitle("Sign in");
  root.querySelector<HTMLElement>(email ? "#password" : "#email")?.focus();
}

function enter(session: Session, draft: Draft | null = null): void {
  leave(); // never two sessions: the older one's socket would stay open after sign out
  const store = new JobStore();
  const live = new Live(session.token, (reason) =>
    signOut(reason === ACCOUNT_DELETED ? "account-deleted" : "expired"),
  );
  const app: App = {
    token: session.token,
    live,
    store,
    navigate: (hash) => {
      if (window.location.hash === hash) route();
      else window.location.hash = hash;
    },
  };
  const stopMyJobs = live.subscribe<Job>(
    MY_JOBS,
    {},
    {
      next: (job) => store.upsert(job),
      error: () => undefined, // the history still has the query and its refreshes
      complete: () => undefined,
    },
  );
  const history = historyView(app);
  const outlet = h("main", { class: "panel", id: "main" });
  root.replaceChildren(
    h(
      "header",
      { class: "topbar" },
      h("a", { href: "#/new", class: "brand" }, "CareerOps"),
      h(
        "nav",
        { "aria-label": "Account" },
        h("a", { href: "#/new" }, "New letter"),
        h("span", { class: "who", "data-testid": "who" }, session.email),
        h("button", { type: "button", onclick: () => signOut() }, "Sign out"),
      ),
    ),
    h("div", { class: "layout" }, outlet, h("aside", { class: "panel" }, history.element)),
  );
  current = { app, session, history, outlet, form: null, draft, view: null, stopMyJobs };
  route();
}

function route(): void {
  if (current === null) return;
  const session = current;
  session.view?.dispose();
  session.view = null;
  const id = JOB_ROUTE.exec(window.location.hash)?.[1] ?? null;
  if (id !== null) {
    session.view = jobView(session.app, id);
    session.outlet.replaceChildren(session.view.element);
  } else {
    // One form per session: a draft survives a look at another letter.
    session.form ??= formView(
      session.app.token,
      (job) => {
        session.app.store.upsert(job);
        session.app.navigate(`#/jobs/${job.id}`);
      },
      session.draft,
    );
    session.outlet.replaceChildren(session.form.element);
    setTitle("New cover letter");
  }
  session.history.setCurrent(id);
  focusHeading();
}

function signOut(ending: Ending = "signed-out"): void {
  if (ending !== "expired") forgetUnfinished();
  // The server ended the session, not the user: what they were typing waits for them.
  if (current !== null && ending === "expired") {
    const { token, email } = current.session;
    const draft = current.form?.draft() ?? null;
    keepUnfinished(token, email, { draft, hash: window.location.hash });
  }
  leave();
  clearSession();
  history.replaceState(null, "", window.location.pathname);
  showAuth(NOTICE[ending]);
}

/** Closes the signed-in session's views, subscriptions and socket, if there is one. */
function leave(): void {
  if (current === null) return;
  current.view?.dispose();
  current.history.dispose();
  current.stopMyJobs();
  current.app.live.dispose();
  current = null;
}

function focusHeading(): void {
  root.querySelector<HTMLElement>("h1")?.focus({ preventScroll: true });
}

whenUnauthenticated(() => signOut("expired"));
window.addEventListener("hashchange", route);
const saved = loadSession();
if (saved) enter(saved);
else showAuth();
