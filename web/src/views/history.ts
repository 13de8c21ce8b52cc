// The user's letters, newest first: the `jobs` query, kept live by `myJobs`.

import { cancel, messageOf, remove, retry, type App, type View } from "../app";
import { copyText, downloadText, letterFileName } from "../clipboard";
import { h, show, when } from "../dom";
import { TERMINAL, fetchJobs, letterOf, titleOf, type Job } from "../jobs";
import { badge, deleteButton, keepFocus, setBadge } from "./widgets";

/** While the socket is down, myJobs is silent: refresh the list this often instead. */
const REFRESH_WHILE_DOWN_MS = 5_000;

interface Row {
  item: HTMLLIElement;
  update(job: Job): void;
}

export interface HistoryView extends View {
  setCurrent(id: string | null): void;
}

export function historyView(app: App): HistoryView {
  const rows = new Map<string, Row>();
  const list = h("ul", { class: "history", "data-testid": "history" });
  const empty = h("p", { class: "empty" }, "No letters yet. Your letters will appear here.");
  const feedback = h("p", { class: "status", role: "status" });
  const more = h("button", { type: "button", hidden: true }, "Show older letters");
  let cursor: string | null = null;
  let current: string | null = null;

  async function load(after: string | null): Promise<void> {
    try {
      const page = await fetchJobs(app.token, after);
      for (const edge of page.edges) app.store.upsert(edge.node);
      if (after === null && cursor !== null) return; // a refresh keeps the older pages' cursor
      cursor = page.pageInfo.endCursor;
      show(more, page.pageInfo.hasNextPage);
    } catch (error) {
      feedback.textContent = messageOf(error);
    }
  }
  more.addEventListener("click", () => void load(cursor));

  function changed(id: string, job: Job | null): void {
    const row = rows.get(id);
    if (job === null) {
      row?.item.remove();
      rows.delete(id);
    } else if (row) {
      row.update(job);
    } else {
      const added = makeRow(app, job, feedback);
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
      h("h2", { id: "history-title" }, "Your letters"),
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

function makeRow(app: App, job: Job, feedback: HTMLElement): Row {
  let latest = job;
  const act = (action: () => Promise<unknown>) => async (): Promise<void> => {
    feedback.textContent = "";
    try {
      await action();
    } catch (error) {
      feedback.textContent = messageOf(error);
    }
  };
  const name = (verb: string): string => `${verb}: ${titleOf(latest)}`;
  const link = h("a", { href: `#/jobs/${job.id}` });
  const status = badge();
  const meta = h("span", { class: "when" });
  const cancelButton = h(
    "button",
    { type: "button", onclick: act(() => cancel(app, job.id)) },
    "Cancel",
  );
  const retryButton = h(
    "button",
    { type: "button", onclick: act(() => retry(app, job.id)) },
    "Retry",
  );
  const copyButton = h(
    "button",
    {
      type: "button",
      onclick: act(async () => {
        const copied = await copyText(letterOf(latest));
        feedback.textContent = copied ? "Copied to clipboard." : "Copy failed.";
      }),
    },
    "Copy",
  );
  const downloadButton = h(
    "button",
    {
      type: "button",
      onclick: act(async () =>
        downloadText(letterOf(latest), letterFileName(latest.companyName, latest.id)),
      ),
    },
    "Download",
  );
  const item = h(
    "li",
    { "data-job-id": job.id },
    h("div", { class: "row-head" }, link, status),
    meta,
    h(
      "div",
      { class: "row-actions" },
      cancelButton,
      retryButton,
      copyButton,
      downloadButton,
      deleteButton(
        name("Delete"),
        act(() => remove(app, job.id)),
      ),
    ),
  );

  function update(next: Job): void {
    const focused = document.activeElement;
    latest = next;
    link.textContent = titleOf(next);
    meta.textContent = when(next.createdAt);
    setBadge(status, next.status);
    show(cancelButton, !TERMINAL.has(next.status));
    show(retryButton, next.status === "FAILED" || next.status === "CANCELLED");
    show(copyButton, next.status === "COMPLETED");
    show(downloadButton, next.status === "COMPLETED");
    for (const [button, verb] of [
      [cancelButton, "Cancel"],
      [retryButton, "Retry"],
      [copyButton, "Copy"],
      [downloadButton, "Download"],
    ] as const) {
      button.setAttribute("aria-label", name(verb));
    }
    keepFocus(item, focused, [retryButton, copyButton], link);
  }
  update(job);
  item.dataset.created = job.createdAt;
  return { item, update };
}
