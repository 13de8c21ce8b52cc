// GraphiQL's fetcher: queries and mutations over HTTP (@graphiql/toolkit's), subscriptions
// over a graphql-ws client of our own, which gives up at once on the close codes that a
// retry cannot cure, and says why in words instead of throwing an Error with its stack.

import {
  createGraphiQLFetcher,
  type Fetcher,
  type FetcherOpts,
  type FetcherParams,
  type Observable,
} from "@graphiql/toolkit";
import { getOperationAST } from "graphql";
import { createClient, type ExecutionResult } from "graphql-ws/client";

// graphql-transport-ws: 4400 malformed message, 4401 subscribe before ack, 4403 token
// refused, 4406 subprotocol, 4408 connection_init timeout, 4409 duplicate id, 4429
// second connection_init. 1013 (too many sockets for now) and 1006 (server away) may pass.
const FINAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4408, 4409, 4429]);

export function careerOpsFetcher(endpoint: URL, socket: URL): Fetcher {
  const http = createGraphiQLFetcher({ url: endpoint.href });
  return (params, opts) =>
    isSubscription(params, opts)
      ? subscription(socket, params, opts?.headers ?? {})
      : http(params, opts);
}

function isSubscription(params: FetcherParams, opts?: FetcherOpts): boolean {
  const document = opts?.documentAST;
  return (
    !!document && getOperationAST(document, params.operationName)?.operation === "subscription"
  );
}

type Sink = { next(value: ExecutionResult): void; error(error: unknown): void; complete(): void };

/** One socket per run, as the toolkit's; the Headers tab is its connection_init payload. */
function subscription(
  socket: URL,
  params: FetcherParams,
  headers: Record<string, unknown>,
): Observable<ExecutionResult> {
  const subscribe = (sink: Sink): { unsubscribe(): void } => {
    const client = createClient({
      url: socket.href,
      connectionParams: headers,
      shouldRetry: (event) => !FINAL_CLOSE_CODES.has(closeCodeOf(event) ?? 0),
    });
    const stop = client.subscribe(
      { query: params.query, variables: params.variables, operationName: params.operationName },
      {
        next: (value) => sink.next(value as ExecutionResult),
        error: (error) => {
          sink.error(plainError(error));
          void client.dispose();
        },
        complete: () => {
          sink.complete();
          void client.dispose();
        },
      },
    );
    return {
      unsubscribe: () => {
        stop();
        void client.dispose();
      },
    };
  };
  return { subscribe } as Observable<ExecutionResult>;
}

/** What GraphiQL shows in the result pane: a GraphQL-style error, no JavaScript stack. */
function plainError(error: unknown): unknown {
  if (Array.isArray(error)) return error; // the operation's own GraphQL errors
  const code = closeCodeOf(error);
  if (code === null) {
    return { message: error instanceof Error ? error.message : "The websocket could not connect." };
  }
  const reason = (error as CloseEvent).reason.replace(/\.$/, "");
  const message = `The server closed the websocket: ${code}${reason ? ` ${reason}` : ""}.`;
  return {
    message:
      code === 4403
        ? `${message} Put a valid token in the Headers tab: {"Authorization": "Bearer <token>"}.`
        : message,
  };
}

function closeCodeOf(value: unknown): number | null {
  const code = typeof value === "object" && value !== null ? (value as CloseEvent).code : undefined;
  return typeof code === "number" ? code : null;
}
