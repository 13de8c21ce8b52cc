// GraphQL over HTTP (queries and mutations), with the contract's error codes.

export type Variables = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field: string | null = null,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

interface GraphQLErrorShape {
  message?: string;
  extensions?: { code?: string; field?: string; retryAfter?: number };
}

let onUnauthenticated: () => void = () => undefined;

/** Called when the server no longer accepts the token (expired, user gone). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** A request that has not been answered by then is given up: on a stalled network fetch
 * waits for minutes, and the page would wait with it ("Sending…" for ever). */
export const REQUEST_TIMEOUT_MS = 10_000;

export async function gql<T>(query: string, variables: Variables = {}, token?: string): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let body: { data?: T; errors?: GraphQLErrorShape[] };
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    body = await response.json();
  } catch {
    // A timeout too: the answer may have been lost on the way back, so a mutation sent
    // again must carry what makes it safe to repeat (createCoverLetter's idempotencyKey).
    throw new ApiError("The server cannot be reached. Check your connection.", "NETWORK");
  } finally {
    window.clearTimeout(timer);
  }
  const error = body.errors?.[0];
  if (error) throw toApiError(error, token);
  if (body.data === undefined) throw new ApiError("The server sent no data.", "INTERNAL");
  return body.data;
}

export function toApiError(error: GraphQLErrorShape, token?: string): ApiError {
  const ext = error.extensions ?? {};
  const code = ext.code ?? "INTERNAL";
  if (code === "UNAUTHENTICATED" && token) onUnauthenticated();
  return new ApiError(
    error.message ?? "Something went wrong.",
    code,
    ext.field ?? null,
    ext.retryAfter ?? null,
  );
}
