// Follows one job: the jobEvents subscription while the socket is up, polling
// the `job` query once a second while it is not, and back again.

import { ApiError } from "./gql";
import {
  EMPTY_STREAM,
  JOB_EVENTS,
  TERMINAL,
  applyEvent,
  fetchJob,
  snapshotOf,
  type Stream,
  type StreamEvent,
} from "./jobs";
import type { Live } from "./live";

/** How often a page that polls asks for its subscription again. */
const RESUBSCRIBE_EVERY_MS = 3_000;
/** How long the socket may be down before the page falls back to polling. */
const FALLBACK_AFTER_MS = 3_000;
const POLL_EVERY_MS = 1_000;

export interface WatchHandlers {
  state(stream: Stream): void;
  polling(active: boolean): void;
  gone(): void;
}

export class JobWatcher {
  private stream: Stream = EMPTY_STREAM;
  private unsubscribe: (() => void) | null = null;
  private fallbackTimer: number | undefined;
  private pollTimer: number | undefined;
  private pollRound = 0;
  private polling = false;
  // Settled: the job reached a terminal status; only a retry (via offer) wakes it.
  private settled = false;
  private stopped = false;
  private lastAskedForLive = 0;
  private readonly unlisten: () => void;

  constructor(
    private readonly id: string,
    private readonly token: string,
    private readonly live: Live,
    private readonly on: WatchHandlers,
  ) {
    this.unlisten = live.onChange((up) => this.connectionChanged(up));
    this.follow();
  }

  /** A newer view of the job from elsewhere: a mutation's answer, the history, a fetch. */
  offer(event: StreamEvent): void {
    const next = this.stopped ? null : applyEvent(this.stream, event);
    if (next === null) return;
    this.stream = next;
    this.on.state(next);
    if (TERMINAL.has(next.status)) this.settle();
    else if (this.settled) this.follow();
  }

  stop(): void {
    this.stopped = true;
    this.settle();
    this.unlisten();
  }

  private follow(): void {
    this.settled = false;
    this.subscribe();
    this.connectionChanged(this.live.connected);
  }

  private subscribe(): void {
    if (this.unsubscribe) return;
    const unsubscribe = this.live.subscribe<StreamEvent>(
      JOB_EVENTS,
      { id: this.id },
      {
        next: (event) => this.offer(event),
        error: (error) => this.subscriptionEnded(unsubscribe, error),
        complete: () => this.subscriptionEnded(unsubscribe, null),
      },
    );
    this.unsubscribe = unsubscribe;
  }

  private subscriptionEnded(which: () => void, error: ApiError | null): void {
    if (this.unsubscribe !== which) return; // one we already left
    this.unsubscribe = null;
    if (error?.code === "NOT_FOUND") this.on.gone();
    else if (!this.settled) this.startPolling(); // ended early: the row knows the truth
  }

  private connectionChanged(up: boolean): void {
    if (this.settled) return;
    if (up) {
      window.clearTimeout(this.fallbackTimer);
      this.fallbackTimer = undefined;
      // graphql-ws resubscribes by itself on reconnect, and the SNAPSHOT that
      // starts the new subscription replaces the text polling left on screen.
      if (this.polling) {
        this.stopPolling();
        this.subscribe();
      }
    } else if (!this.polling && this.fallbackTimer === undefined) {
      this.fallbackTimer = window.setTimeout(() => {
        this.fallbackTimer = undefined;
        if (!this.live.connected && !this.settled) this.startPolling();
      }, FALLBACK_AFTER_MS);
    }
  }

  private startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.on.polling(true);
    void this.poll(++this.pollRound);
  }

  private stopPolling(): void {
    window.clearTimeout(this.pollTimer);
    if (!this.polling) return;
    this.polling = false;
    this.on.polling(false);
  }

  private async poll(round: number): Promise<void> {
    try {
      const job = await fetchJob(this.token, this.id);
      if (round !== this.pollRound || !this.polling) return;
      if (job === null) {
        this.settle();
        this.on.gone();
        return;
      }
      this.offer(snapshotOf(job));
    } catch {
      // A failed poll is retried on the next tick; the note already says we are degraded.
    }
    if (round === this.pollRound && this.polling) {
      this.pollTimer = window.setTimeout(() => void this.poll(round), POLL_EVERY_MS);
      this.askForLiveAgain();
    }
  }

  // A subscription that ended early (graphql-ws gives up for good on some close codes,
  // 1011 among them) is asked for again while polling: its socket then opens anew, and
  // once it is up the page returns to live updates. Not more often than every few seconds.
  private askForLiveAgain(): void {
    const now = Date.now();
    if (this.unsubscribe || this.settled || now - this.lastAskedForLive < RESUBSCRIBE_EVERY_MS) {
      return;
    }
    this.lastAskedForLive = now;
    this.subscribe();
  }

  private settle(): void {
    this.settled = true;
    window.clearTimeout(this.fallbackTimer);
    this.fallbackTimer = undefined;
    this.stopPolling();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
