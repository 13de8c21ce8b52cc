// One job: the letter streaming in, its status, attempt and progress, and what can be done with it.

import { ERASED_ELSEWHERE, cancel, messageOf, remove, retry, type App, type View } from "../app";
import { copyText, downloadText, letterFileName } from "../clipboard";
import { h, setTitle, show, when } from "../dom";
import {
  EMPTY_STREAM,
  STATUS_LABEL,
  TERMINAL,
  fetchJob,
  snapshotOf,
  titleOf,
  type Job,
  type Stream,
} from "../jobs";
import { JobWatcher, type Polling } from "../watch";
import { letterPane } from "./letter";
import { waitingNote } from "./waiting";
import { badge, deleteButton, keepFocus, setBadge } from "./widgets";

const POLLING_NOTE: Record<Polling, string> = {
  off: "",
  on: "Live updates unavailable — refreshing every second",
  failing: "The service cannot be reached — still trying every second",
};

/** How often a finished letter on screen asks whether it is still there: deleted
 * elsewhere, it sends no event (a running one's stream ends CANCELLED instead). */
const FINISHED_CHECK_MS = 60_000;

export function jobView(app: App, id: string): View {
  const title = h("h1", { tabindex: -1 }, "Cover letter");
  const details = h("p", { class: "details" });
  const status = badge();
  status.dataset.testid = "status";
  // Announced when it changes (Completed, Failed…); the letter itself is never announced.
  status.setAttribute("role", "status");
  const attempt = h("span", { "data-testid": "attempt" });
  const bar = h("progress", { max: 100, value: 0, "aria-label": "Progress" });
  const percent = h("span", { "data-testid": "progress" }, "0%");
  const meta = h(
    "div",
    { class: "meta" },
    status,
    attempt,
    h("span", { class: "progress" }, bar, percent),
  );
  const note = h("p", { class: "note", role: "status", "data-testid": "live-note", hidden: true });
  const waiting = waitingNote();
  const letter = letterPane();
  const failure = h("p", { class: "error", role: "alert", hidden: true });
  const feedback = h("p", { class: "status", role: "status" });
  let stream: Stream | null = null;
  let job: Job | null = null;
  let deleting = false;
  let missing = false;
  let disposed = false;

  const act = (action: () => Promise<unknown>) => async (): Promise<void> => {
    feedback.textContent = "";
    try {
      await action();
    } catch (error) {
      feedback.textContent = messageOf(error);
    }
  };
  const cancelButton = h(
    "button",
    { type: "button", onclick: act(() => cancel(app, id)) },
    "Cancel",
  );
  const retryButton = h("button", { type: "button", onclick: act(() => retry(app, id)) }, "Retry");
  const copyButton = h("button", { type: "button", onclick: act(copy) }, "Copy");
  const downloadButton = h(
    "button",
    {
      type: "button",
      onclick: act(async () =>
        downloadText(letter.text(), letterFileName(job?.companyName ?? null, id)),
      ),
    },
    "Download .txt",
  );
  const deleteNow = deleteButton(
    {
      name: "Delete this letter",
      letter: () => title.textContent ?? "",
      say: (message) => (feedback.textContent = message),
    },
    act(async () => {
      deleting = true;
      await remove(app, id).finally(() => (deleting = false));
    }),
  );
  const actions = h(
    "div",
    { class: "actions" },
    cancelButton,
    retryButton,
    copyButton,
    downloadButton,
    deleteNow,
  );

  async function copy(): Promise<void> {
    feedback.textContent = (await copyText(letter.text()))
      ? "Copied to clipboard."
      : "Copy failed; select the text instead.";
  }

  function render(next: Stream): void {
    const focused = document.activeElement;
    stream = next;
    setBadge(status, next.status);
    attempt.textContent = next.attempt ? `Attempt ${next.attempt}` : "Not started";
    const pct = Math.round(Math.min(Math.max(next.progress, 0), 1) * 100);
    bar.value = pct;
    percent.textContent = `${pct}%`;
    letter.render(next);
    retitle();
    failure.textContent =
      next.status === "FAILED" ? (next.error ?? "The letter could not be written.") : "";
    show(failure, next.status === "FAILED");
    waiting.set(next.status === "PENDING" ? next.error || null : null);
    show(cancelButton, !TERMINAL.has(next.status));
    show(retryButton, next.status === "FAILED" || next.status === "CANCELLED");
    const finished = TERMINAL.has(next.status) && letter.text().length > 0;
    show(copyButton, finished);
    show(downloadButton, finished);
    keepFocus(actions, focused, [retryButton, copyButton], title);
  }

  /** "Letter for Acme (Writing)": the tab says which letter, and how far it is. */
  function retitle(): void {
    if (disposed) return; // an answer that came after the page moved on
    const status = missing || stream === null ? "" : ` (${STATUS_LABEL[stream.status]})`;
    setTitle(`${title.textContent}${status}`);
  }

  /** The job is not there: never was (for this user), or erased since the page showed it. */
  function gone(): void {
    if (deleting) return; // our own Delete: its answer moves the page on
    const known = job !== null || (stream?.seq ?? -1) >= 0 || app.store.get(id) !== undefined;
    app.store.remove(id, "elsewhere");
    if (known) showMissing("Letter deleted", ERASED_ELSEWHERE);
    else showMissing("Letter not found", "It does not exist, or it was deleted.");
  }

  function showMissing(heading: string, why: string): void {
    missing = true;
    watcher.stop();
    title.textContent = heading;
    details.textContent = why;
    retitle();
    letter.clear();
    waiting.set(null);
    for (const part of [meta, note, letter.region, failure, actions, feedback]) show(part, false);
  }

  function describe(found: Job): void {
    job = found;
    title.textContent = titleOf(found);
    retitle();
    const tone = found.tone[0] + found.tone.slice(1).toLowerCase();
    details.textContent = `${tone} tone · started ${when(found.createdAt)}`;
  }

  const watcher = new JobWatcher(id, app.token, app.live, {
    state: render,
    polling: (state) => {
      note.textContent = POLLING_NOTE[state];
      show(note, state !== "off");
    },
    gone,
  });
  const unlisten = app.store.onChange((changed, found) => {
    if (changed !== id) return;
    if (found !== null) watcher.offer(snapshotOf(found));
    else if (app.store.removal(id) === "elsewhere") showMissing("Letter deleted", ERASED_ELSEWHERE);
    else app.navigate("#/new");
  });
  /** A finished letter deleted elsewhere: asked now and then, and whenever the tab is
   * looked at again (back in view, or focused). */
  let checkingNow = false;
  async function stillThere(): Promise<void> {
    if (missing || deleting || checkingNow || stream === null || !TERMINAL.has(stream.status)) {
      return;
    }
    checkingNow = true;
    try {
      if ((await fetchJob(app.token, id)) === null && !missing) gone();
    } catch {
      // Unreachable now: the next check asks again.
    } finally {
      checkingNow = false;
    }
  }
  const checking = window.setInterval(() => void stillThere(), FINISHED_CHECK_MS);
  const lookedAt = (): void => {
    if (document.visibilityState === "visible") void stillThere();
  };
  document.addEventListener("visibilitychange", lookedAt);
  window.addEventListener("focus", lookedAt);

  fetchJob(app.token, id).then(
    (found) => {
      if (missing) return;
      if (found === null) return gone();
      describe(found);
      app.store.upsert(found);
      watcher.offer(snapshotOf(found));
    },
    (error: unknown) => {
      if (!stream) feedback.textContent = messageOf(error);
    },
  );

  const element = h(
    "article",
    { class: "job", "aria-labelledby": "job-title" },
    h("header", {}, title, details),
    meta,
    note,
    waiting.element,
    letter.region,
    letter.milestone,
    failure,
    actions,
    feedback,
  );
  title.id = "job-title";
  render(EMPTY_STREAM);
  return {
    element,
    dispose: () => {
      disposed = true;
      watcher.stop();
      waiting.dispose();
      unlisten();
      window.clearInterval(checking);
      document.removeEventListener("visibilitychange", lookedAt);
      window.removeEventListener("focus", lookedAt);
    },
  };
}
