// The user's letters, newest first: the `jobs` query, kept live by `myJobs`.

import { messageOf, type App, type View } from "../app";
import { h, show } from "../dom";
import { fetchJobs, type Job } from "../jobs";
import { makeRow, type Row } from "./history-row";

/** While the socket is down, myJobs is silent: refresh the list this often instead. */
const REFRESH_WHILE_DOWN_MS = 5_000;

export interface HistoryView extends View {
  setCurrent(id: string | null): void;
}

export function historyView(app: App): HistoryView {
  const rows = new Map<string, Row>();
  const list = h("ul", { class: "history", "data-testid": "history" });
  const empty = h("p", { class: "empty" }, "No letters yet. Your letters will appear here.");
  const heading = h("h2", { id: "history-title", tabindex: -1 }, "Your letters");
  const feedback = h("p", { class: "status", role: "status" });
  const more = h("button", { type: "button", hidden: true }, "Show older letters");
  let cursor: string | null = null;
  let current: string | null = null;
  // Why the last load failed, while that is what the status line says.
  let loadFailure = "";
  const say = (message: string): void => {
    feedback.textContent = message;
  };

  async function load(after: string | null): Promise<void> {
    try {
      const page = await fetchJobs(app.token, after);
      if (loadFailure && feedback.textContent === loadFailure) say(""); // reached again
      loadFailure = "";
      for (const edge of page.edges) app.store.upsert(edge.node);
      if (after === null && cursor !== null) return; // a refresh keeps the older pages' cursor
      cursor = page.pageInfo.endCursor;
      show(more, page.pageInfo.hasNextPage);
    } catch (error) {
      // Written again, the same words are said again: while the service was down, every
      // refresh repeated "cannot be reached".
      loadFailure = messageOf(error);
      if (feedback.textContent !== loadFailure) say(loadFailure);
    }
  }
  more.addEventListener("click", async () => {
    const known = new Set(rows.keys());
    const hadFocus = document.activeElement === more;
    await load(cursor);
    // Hidden once the last page is in, the button would leave the focus on <body>.
    if (hadFocus && more.hidden) firstLink(list, (item) => !known.has(item.dataset.jobId ?? ""));
  });

  function forget(id: string, row: Row): void {
    const hadFocus = row.item.contains(document.activeElement);
    const neighbour = row.item.nextElementSibling ?? row.item.previousElementSibling;
    row.item.remove();
    rows.delete(id);
    // Its Delete went with it and took the focus to <body>: the next letter gets it.
    if (hadFocus && !firstLink(list, (item) => item === neighbour)) heading.focus();
    if (app.store.removal(id) === "here") say(`${row.title()} deleted.`);
  }

  function changed(id: string, job: Job | null): void {
    const row = rows.get(id);
    if (job === null) {
      if (row) forget(id, row);
    } else if (row) {
      row.update(job);
    } else {
      const added = makeRow(app, job, say);
      rows.set(id, added);
      const older = [...list.children].find(
        (item) =>
          Date.parse((item as HTMLElement).dataset.created ?? "") < Date.parse(job.createdAt),
      );
      list.insertBefore(added.item, older ?? null);
      markCurrent();
    }
    show(empty, rows.size === 0);
  }

  function markCurrent(): void {
    for (const [id, row] of rows) {
      const link = row.item.querySelector("a");
      if (id === current) link?.setAttribute("aria-current", "page");
      else link?.removeAttribute("aria-current");
    }
  }

  // One refresh at a time: on a stalled network each waits for its timeout.
  let refreshing = false;
  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    await load(null).finally(() => (refreshing = false));
  }

  let timer: number | undefined;
  let wasDown = false;
  const unlistenLive = app.live.onChange((up) => {
    window.clearInterval(timer);
    if (up && wasDown) void refresh(); // events sent while the socket was down are gone
    if (!up) timer = window.setInterval(() => void refresh(), REFRESH_WHILE_DOWN_MS);
    wasDown ||= !up;
  });
  const unlistenStore = app.store.onChange(changed);
  for (const job of app.store.list()) changed(job.id, job);
  void refresh();

  return {
    element: h(
      "section",
      { class: "history-panel", "aria-labelledby": "history-title" },
      heading,
      empty,
      list,
      more,
      feedback,
    ),
    setCurrent(id) {
      current = id;
      markCurrent();
    },
    dispose() {
      window.clearInterval(timer);
      unlistenLive();
      unlistenStore();
    },
  };
}

/** Focuses the link of the first row that `matches`; false when there is none. */
function firstLink(list: HTMLElement, matches: (item: HTMLElement) => boolean): boolean {
  const item = [...list.querySelectorAll<HTMLElement>(":scope > li")].find(matches);
  item?.querySelector("a")?.focus();
  return item !== undefined;
}
