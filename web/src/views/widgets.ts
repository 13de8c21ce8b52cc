// Small pieces the job view and the history share.

import { h } from "../dom";
import { STATUS_LABEL, type JobStatus } from "../jobs";

export function badge(): HTMLSpanElement {
  return h("span", { class: "badge" });
}

export function setBadge(element: HTMLElement, status: JobStatus): void {
  element.textContent = STATUS_LABEL[status];
  element.dataset.status = status;
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
