// What every signed-in view gets: the token, the live connection, the job store.

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

export async function cancel(app: App, id: string): Promise<void> {
  app.store.upsert(await cancelJob(app.token, id));
}

export async function retry(app: App, id: string): Promise<void> {
  app.store.upsert(await retryJob(app.token, id));
}

export async function remove(app: App, id: string): Promise<void> {
  await deleteJob(app.token, id);
  app.store.remove(id);
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}
