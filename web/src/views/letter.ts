// The letter as it is written: a named region to jump to and read at one's own pace, and
// a status beside it that says when it is complete. The letter itself is no live region:
// streamed into one it was queued as dozens of announcements, and an opened letter was
// read aloud from start to end, unasked.

import { count, h } from "../dom";
import type { JobStatus, Stream } from "../jobs";

export interface LetterPane {
  region: HTMLElement;
  /** Says "Letter complete, 312 words." once a letter the page watched being written ends. */
  milestone: HTMLElement;
  /** The text on screen. */
  text(): string;
  render(stream: Stream): void;
  clear(): void;
}

export function letterPane(): LetterPane {
  const region = h("div", {
    class: "letter",
    role: "region",
    "aria-label": "Your cover letter",
    "data-testid": "letter",
    tabindex: 0, // long letters scroll: the keyboard must reach them
  });
  const milestone = h("p", { class: "offscreen", role: "status" });
  let shown = "";
  // The last status of a real job (EMPTY_STREAM's seq is -1): a letter opened finished
  // has nothing to announce, one that finishes while watched does.
  let watched: JobStatus | null = null;

  function render(next: Stream): void {
    // Append what is new rather than rewrite it all: a selection in the letter survives.
    if (next.text.startsWith(shown)) region.append(next.text.slice(shown.length));
    else region.textContent = next.text;
    shown = next.text;
    region.classList.toggle("streaming", next.status === "PROCESSING");
    region.dataset.status = next.status;
    if (next.seq < 0) return;
    if (next.status === "COMPLETED" && watched !== null && watched !== "COMPLETED") {
      milestone.textContent = `Letter complete, ${count(words(shown))} words.`;
    } else if (next.status !== "COMPLETED" && milestone.textContent) {
      milestone.textContent = ""; // a retry: the next completion is news again
    }
    watched = next.status;
  }

  return {
    region,
    milestone,
    text: () => shown,
    render,
    clear() {
      region.textContent = "";
      milestone.textContent = "";
      shown = "";
    },
  };
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
