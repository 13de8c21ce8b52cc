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
/** deleteJob cancels a job, and the stream ends CANCELLED, just before it erases the row. */
const ERASED_CHECK_AFTER_MS = 1_000;

/** Live updates; polling; polling while every refresh fails. */
export type Polling = "off" | "on" | "failing";

export interface WatchHandlers {
  state(stream: Stream): void;
  polling(state: Polling): void;
  gone(): void;
}

export class JobWatcher {
  private stream: Stream = EMPTY_STREAM;
  private unsubscribe: (() => void) | null = null;
  private fallbackTimer: number | undefined;
  private pollTimer: number | undefined;
  // One `job` request at a time: on a stalled network they would pile up.
  private pollInFlight = false;
  private polling = false;
  private pollFailing = false;
  private erasedCheck: number | undefined;
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
    this.unlisten = live.onChange((up, lost) => this.connectionChanged(up, lost));
    this.follow();
  }

  /** A newer view of the job from elsewhere: a mutation's answer, the history, a fetch. */
  offer(event: StreamEvent): void {
    const next = this.stopped ? null : applyEvent(this.stream, event);
    if (next === null) return;
    const cancelled = next.status === "CANCELLED" && this.stream.status !== "CANCELLED";
    this.stream = next;
    this.on.state(next);
    if (TERMINAL.has(next.status)) this.settle();
    else if (this.settled) this.follow();
    if (cancelled) this.checkNotErasedSoon();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.erasedCheck);
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

  // A job deleted elsewhere ends CANCELLED like a cancelled one (deleteJob cancels, then
  // erases the row, and no event says so): only the `job` query tells the two apart.
  private checkNotErasedSoon(): void {
    window.clearTimeout(this.erasedCheck);
    this.erasedCheck = window.setTimeout(async () => {
      const job = await fetchJob(this.token, this.id).catch(() => undefined);
      if (job === null && !this.stopped) this.on.gone();
    }, ERASED_CHECK_AFTER_MS);
  }

  private subscriptionEnded(which: () => void, error: ApiError | null): void {
    if (this.unsubscribe !== which) return; // one we already left
    this.unsubscribe = null;
    if (error?.code === "NOT_FOUND") this.on.gone();
    else if (!this.settled) this.startPolling(); // ended early: the row knows the truth
  }

  /** `lost`: the socket is known dead, so there is no point waiting for it to come back. */
  private connectionChanged(up: boolean, lost = false): void {
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
    } else if (lost) {
      window.clearTimeout(this.fallbackTimer);
      this.fallbackTimer = undefined;
      this.startPolling();
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
    this.pollFailing = false;
    this.on.polling("on");
    if (!this.pollInFlight) void this.poll();
  }

  private stopPolling(): void {
    window.clearTimeout(this.pollTimer);
    if (!this.polling) return;
    this.polling = false;
    this.on.polling("off");
  }

  private async poll(): Promise<void> {
    this.pollInFlight = true;
    try {
      const job = await fetchJob(this.token, this.id);
      if (this.stopped) return;
      if (job === null) {
        this.settle();
        this.on.gone();
        return;
      }
      // Even if live updates came back meanwhile: a snapshot older than the screen is ignored.
      this.offer(snapshotOf(job));
      this.refreshed(true);
    } catch {
      // A failed or timed-out poll is retried on the next tick; the note says the
      // service is out of reach.
      this.refreshed(false);
    } finally {
      this.pollInFlight = false;
    }
    if (this.polling) {
      window.clearTimeout(this.pollTimer);
      this.pollTimer = window.setTimeout(() => void this.poll(), POLL_EVERY_MS);
      this.askForLiveAgain();
    }
  }

  private refreshed(ok: boolean): void {
    if (!this.polling || this.pollFailing === !ok) return;
    this.pollFailing = !ok;
    this.on.polling(ok ? "on" : "failing");
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
