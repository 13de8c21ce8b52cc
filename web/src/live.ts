// The websocket side: one graphql-ws client (graphql-transport-ws protocol) per
// signed-in session, reconnecting with backoff, telling listeners whether it is up.

import { CloseCode, createClient, type Client, type ExecutionResult } from "graphql-ws/client";

import { ApiError, toApiError, type Variables } from "./gql";

export interface Sink<T> {
  next(data: T): void;
  error(error: ApiError): void;
  complete(): void;
}

const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 3_000;
/** A socket that opened but is not signed in by then is closed and tried again. */
const ACK_WITHIN_MS = 10_000;

/** `lost`: the socket is known to be dead (no pong, or the browser went offline), so a
 * listener need not give it a few seconds to come back. */
export type LiveListener = (connected: boolean, lost: boolean) => void;

export class Live {
  connected = false;
  private readonly client: Client;
  private readonly listeners = new Set<LiveListener>();
  private readonly offline = (): void => this.lose();

  /** `onRejected` hears why the server refused the token ("Token expired", "Account deleted"). */
  constructor(token: string, onRejected: (reason: string) => void) {
    let pongTimer: number | undefined;
    this.client = createClient({
      url: websocketUrl(),
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: Infinity,
      retryWait: backoff,
      // A rejected token is final; anything else (proxy, restart, network) is worth a retry.
      shouldRetry: (event) => !isCloseEvent(event, CloseCode.Forbidden),
      keepAlive: PING_EVERY_MS,
      connectionAckWaitTimeout: ACK_WITHIN_MS,
      on: {
        connected: () => this.set(true),
        closed: (event) => {
          window.clearTimeout(pongTimer); // it was about that socket, not the next one
          this.set(false);
          if (isCloseEvent(event, CloseCode.Forbidden)) onRejected((event as CloseEvent).reason);
        },
        // A socket that stops answering pings is dead even if the browser has not noticed.
        ping: (received) => {
          if (received) return;
          window.clearTimeout(pongTimer);
          pongTimer = window.setTimeout(() => this.lose(), PONG_WITHIN_MS);
        },
        pong: (received) => {
          if (received) window.clearTimeout(pongTimer);
        },
      },
    });
    window.addEventListener("offline", this.offline);
  }

  /** Calls `listener` with the new state each time the socket goes up or down. */
  onChange(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A subscription whose sink hears one error or one completion, never both. */
  subscribe<T>(query: string, variables: Variables, sink: Sink<T>): () => void {
    let ended = false;
    const fail = (error: ApiError): void => {
      if (!ended) sink.error(error);
      ended = true;
    };
    return this.client.subscribe<Record<string, T>>(
      { query, variables },
      {
        next: (result: ExecutionResult<Record<string, T>>) => {
          if (result.errors?.length) fail(toApiError(result.errors[0]));
          else if (result.data && !ended) sink.next(Object.values(result.data)[0]);
        },
        error: (error) => fail(asApiError(error)),
        complete: () => {
          if (!ended) sink.complete();
          ended = true;
        },
      },
    );
  }

  dispose(): void {
    window.removeEventListener("offline", this.offline);
    this.listeners.clear();
    void this.client.dispose();
  }

  // Down now, not once the close handshake is over: with no bytes moving it never is
  // (Chromium gives up after a minute). graphql-ws then drops the socket and dials again.
  private lose(): void {
    this.set(false, true);
    this.client.terminate();
  }

  private set(connected: boolean, lost = false): void {
    if (connected === this.connected) return;
    this.connected = connected;
    for (const listener of [...this.listeners]) listener(connected, lost);
  }
}

function websocketUrl(): string {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s, each with up to 0.5 s of jitter. */
function backoff(retries: number): Promise<void> {
  const wait = Math.min(5_000, 500 * 2 ** retries) + Math.random() * 500;
  return new Promise((resolve) => window.setTimeout(resolve, wait));
}

function isCloseEvent(value: unknown, code: number): boolean {
  return typeof value === "object" && value !== null && (value as CloseEvent).code === code;
}

function asApiError(error: unknown): ApiError {
  if (Array.isArray(error) && error.length) return toApiError(error[0]);
  if (isCloseEvent(error, CloseCode.Forbidden)) {
    return new ApiError("Your session has expired. Please sign in again.", "UNAUTHENTICATED");
  }
  return new ApiError("The live connection failed.", "NETWORK");
}
