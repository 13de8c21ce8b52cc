// Small pieces the job view and the history share.

import { h } from "../dom";
import { STATUS_LABEL, type JobStatus } from "../jobs";

export function badge(): HTMLSpanElement {
  return h("span", { class: "badge" });
}

export function setBadge(element: HTMLElement, status: JobStatus): void {
  // Only on a change: rewriting the same words would have a live region say them again.
  if (element.dataset.status === status) return;
  element.textContent = STATUS_LABEL[status];
  element.dataset.status = status;
}

/** A button in `scope` that had the focus and is now hidden (Cancel once cancelled) would
 * leave it on <body>: hand it to the first of `next` shown, else to `fallback`. */
export function keepFocus(
  scope: HTMLElement,
  had: Element | null,
  next: HTMLElement[],
  fallback: HTMLElement,
): void {
  if (!(had instanceof HTMLButtonElement && scope.contains(had) && had.hidden)) return;
  (next.find((element) => !element.hidden) ?? fallback).focus();
}

/** Delete, asking once more: the first press arms the button for a few seconds. */
export function deleteButton(
  accessibleName: string,
  action: () => Promise<void> | void,
): HTMLButtonElement {
  const label = "Delete";
  const button = h(
    "button",
    { type: "button", class: "danger", "aria-label": accessibleName },
    label,
  );
  let timer: number | undefined;
  const disarm = (): void => {
    window.clearTimeout(timer);
    button.textContent = label;
    button.setAttribute("aria-label", accessibleName);
    button.classList.remove("armed");
  };
  button.addEventListener("click", () => {
    if (!button.classList.contains("armed")) {
      button.textContent = "Press again to delete";
      button.setAttribute("aria-label", `Press again to confirm: ${accessibleName}`);
      button.classList.add("armed");
      timer = window.setTimeout(disarm, 4_000);
      return;
    }
    disarm();
    void action();
  });
  button.addEventListener("blur", disarm);
  return button;
}
