// One letter in the history: its link, status and date, and what can be done with it.

import { cancel, messageOf, remove, retry, type App } from "../app";
import { copyText, downloadText, letterFileName } from "../clipboard";
import { h, show, when, whenExactly } from "../dom";
import { TERMINAL, letterOf, titleOf, type Job } from "../jobs";
import { badge, deleteButton, keepFocus, setBadge } from "./widgets";

export interface Row {
  item: HTMLLIElement;
  /** "Letter for Acme", as its link says. */
  title(): string;
  update(job: Job): void;
}

/** `say` writes the history's status line: what an action did, or why it failed. */
export function makeRow(app: App, job: Job, say: (message: string) => void): Row {
  let latest = job;
  const act = (action: () => Promise<unknown>) => async (): Promise<void> => {
    say("");
    try {
      await action();
    } catch (error) {
      say(messageOf(error));
    }
  };
  // "Cover letter" alone, letters without a company would all have the same buttons.
  const named = (): string => `${titleOf(latest)}, started ${whenExactly(latest.createdAt)}`;
  const name = (verb: string): string => `${verb}: ${named()}`;
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
        say(copied ? "Copied to clipboard." : "Copy failed.");
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
        { name: name("Delete"), letter: named, say },
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
  return { item, title: () => titleOf(latest), update };
}
