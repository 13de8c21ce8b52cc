// What every signed-in view gets: the token, the live connection, the job store.

import { waitFor } from "./dom";
import { ApiError } from "./gql";
import { cancelJob, deleteJob, retryJob } from "./jobs";
import type { Live } from "./live";
import type { JobStore } from "./store";

export interface App {
  token: string;
  live: Live;
  store: JobStore;
  navigate(hash: string): void;
}

export interface View {
  element: HTMLElement;
  dispose(): void;
}

export const ERASED_ELSEWHERE =
  "This letter was deleted in another tab or window, or through the API.";

export async function cancel(app: App, id: string): Promise<void> {
  app.store.upsert(await unlessErased(app, id, cancelJob(app.token, id)));
}

export async function retry(app: App, id: string): Promise<void> {
  app.store.upsert(await unlessErased(app, id, retryJob(app.token, id)));
}

export async function remove(app: App, id: string): Promise<void> {
  await unlessErased(app, id, deleteJob(app.token, id));
  app.store.remove(id);
}

/** NOT_FOUND for a letter the page shows means it was erased elsewhere: the page drops it too. */
async function unlessErased<T>(app: App, id: string, answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "NOT_FOUND")) throw error;
    app.store.remove(id, "elsewhere");
    throw new ApiError(ERASED_ELSEWHERE, "NOT_FOUND");
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.code === "RATE_LIMITED" && error.retryAfter) {
    return whenAllowed(error.message, error.retryAfter);
  }
  return error instanceof Error ? error.message : String(error);
}

/** "At most 10 letters a minute; try again shortly." with the server's retryAfter in words. */
function whenAllowed(message: string, retryAfter: number): string {
  const wait = `try again in ${waitFor(retryAfter)}.`;
  const vague = /try again (shortly|later)\.?$/i;
  return vague.test(message)
    ? message.replace(vague, wait)
    : `${message} Try again in ${waitFor(retryAfter)}.`;
}
