// The page: sign in, then the form or a job on the left and the history on the right.
// Routes live in the URL hash (#/new, #/jobs/<id>), so a reload comes back to the same job.

import "./styles.css";

import type { App, View } from "./app";
import { h } from "./dom";
import { whenUnauthenticated } from "./gql";
import { MY_JOBS, type Job } from "./jobs";
import { Live } from "./live";
import { clearSession, loadSession, saveSession, type Session } from "./session";
import { JobStore } from "./store";
import { authView } from "./views/auth";
import { formView } from "./views/form";
import { historyView, type HistoryView } from "./views/history";
import { jobView } from "./views/job";

const EXPIRED = "Your session has expired. Please sign in again.";
const JOB_ROUTE = /^#\/jobs\/([0-9a-fA-F-]{1,64})$/;

interface SignedIn {
  app: App;
  history: HistoryView;
  outlet: HTMLElement;
  form: HTMLElement | null;
  view: View | null;
  stopMyJobs(): void;
}

const root = document.getElementById("app") as HTMLElement;
let current: SignedIn | null = null;

function showAuth(notice = ""): void {
  const view = authView((session) => {
    saveSession(session);
    enter(session);
  }, notice);
  root.replaceChildren(h("main", { class: "auth-page" }, view));
  root.querySelector<HTMLElement>("#email")?.focus();
}

function enter(session: Session): void {
  const store = new JobStore();
  const live = new Live(session.token, () => signOut(EXPIRED));
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
  current = { app, history, outlet, form: null, view: null, stopMyJobs };
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
    session.form ??= formView(session.app.token, (job) => {
      session.app.store.upsert(job);
      session.app.navigate(`#/jobs/${job.id}`);
    });
    session.outlet.replaceChildren(session.form);
  }
  session.history.setCurrent(id);
  focusHeading();
}

function signOut(notice = ""): void {
  if (current !== null) {
    current.view?.dispose();
    current.history.dispose();
    current.stopMyJobs();
    current.app.live.dispose();
    current = null;
  }
  clearSession();
  history.replaceState(null, "", window.location.pathname);
  showAuth(notice);
}

function focusHeading(): void {
  root.querySelector<HTMLElement>("h1")?.focus({ preventScroll: true });
}

whenUnauthenticated(() => signOut(EXPIRED));
window.addEventListener("hashchange", route);
const saved = loadSession();
if (saved) enter(saved);
else showAuth();
