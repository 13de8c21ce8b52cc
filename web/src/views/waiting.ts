// Why a letter went back to the queue and when it is tried again: the PENDING event's
// error ("The writer timed out. Will retry in 3 s, at 2026-12-01T18:44:32Z.") in words,
// at the reader's local time, with a countdown that keeps up.

import { at, h, show, waitFor } from "../dom";

const SERVER_WORDING = /^(.*?)\s*Will retry in [\d.]+ s, at (\S+?)\.?$/;

export interface WaitingNote {
  element: HTMLElement;
  /** The PENDING event's error, or null when the letter is not waiting for a retry. */
  set(error: string | null): void;
  dispose(): void;
}

export function waitingNote(): WaitingNote {
  // Said once by screen readers; the countdown beside it would be said every second.
  const words = h("span", { role: "status" });
  const countdown = h("span", { "aria-hidden": "true", "data-testid": "retry-countdown" });
  const element = h("p", { class: "note", "data-testid": "retry-note", hidden: true }, words);
  element.append(" ", countdown);
  let shown: string | null = null;
  let timer: number | undefined;

  function set(error: string | null): void {
    if (error === shown) return;
    shown = error;
    window.clearInterval(timer);
    timer = undefined;
    countdown.textContent = "";
    const parsed = error ? SERVER_WORDING.exec(error) : null;
    const when = parsed ? new Date(parsed[2]) : null;
    if (parsed && when && !Number.isNaN(when.getTime())) {
      words.textContent = `${parsed[1]} Trying again at ${at(when)}.`.trim();
      const tick = (): void => {
        const left = (when.getTime() - Date.now()) / 1000;
        countdown.textContent = left >= 0.5 ? `(in ${waitFor(left)})` : "(any moment now)";
      };
      tick();
      timer = window.setInterval(tick, 1_000);
    } else {
      words.textContent = error ?? "";
    }
    show(element, !!error);
  }

  return { element, set, dispose: () => window.clearInterval(timer) };
}
