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

/** How long a pressed Delete waits for the second press: time for a screen reader or a
 * switch to reach it again, not only a mouse. */
export const ARMED_MS = 10_000;

export interface Deletion {
  /** The button's name before it is pressed: "Delete: Letter for Acme, started …". */
  name: string;
  /** The letter it deletes, named as the armed button and its lapse say it. */
  letter: () => string;
  /** Writes a polite status line: that the armed button let go, the letter kept. */
  say: (message: string) => void;
}

/** Delete, asking once more: the first press arms the button for a while; its name then
 * begins with what it shows ("Press again to delete: Letter for Acme"), for voice control. */
export function deleteButton(
  { name, letter, say }: Deletion,
  action: () => Promise<void> | void,
): HTMLButtonElement {
  const label = "Delete";
  const button = h("button", { type: "button", class: "danger", "aria-label": name }, label);
  let timer: number | undefined;
  const disarm = (): boolean => {
    const armed = button.classList.contains("armed");
    window.clearTimeout(timer);
    button.textContent = label;
    button.setAttribute("aria-label", name);
    button.classList.remove("armed");
    return armed;
  };
  // Let go by the timer or by moving away: said, or a reader would still think it armed.
  const lapse = (): void => {
    if (disarm()) say(`Delete not confirmed: ${letter()} kept.`);
  };
  button.addEventListener("click", () => {
    if (!button.classList.contains("armed")) {
      say("");
      button.textContent = "Press again to delete";
      button.setAttribute("aria-label", `Press again to delete: ${letter()}`);
      button.classList.add("armed");
      timer = window.setTimeout(lapse, ARMED_MS);
      return;
    }
    disarm();
    void action();
  });
  button.addEventListener("blur", lapse);
  return button;
}
