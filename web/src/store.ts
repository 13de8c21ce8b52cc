// The signed-in user's jobs as the page knows them: filled by the `jobs` query,
// kept fresh by the `myJobs` subscription and by the answers to our own mutations.

import type { Job } from "./jobs";

type Listener = (id: string, job: Job | null) => void;

/** How a job left the page: deleted from it, or found erased by another tab, device or API call. */
export type Removal = "here" | "elsewhere";

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  // A delete can race with a myJobs event for the same job; the delete wins.
  private readonly removed = new Map<string, Removal>();
  private readonly listeners = new Set<Listener>();

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Newest first, like the `jobs` query. */
  list(): Job[] {
    return [...this.jobs.values()].sort(
      (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
    );
  }

  upsert(job: Job): void {
    const known = this.jobs.get(job.id);
    if (this.removed.has(job.id) || (known && known.seq > job.seq)) return;
    this.jobs.set(job.id, job);
    this.emit(job.id, job);
  }

  remove(id: string, how: Removal = "here"): void {
    if (!this.removed.has(id)) this.removed.set(id, how);
    if (this.jobs.delete(id)) this.emit(id, null);
  }

  removal(id: string): Removal | undefined {
    return this.removed.get(id);
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(id: string, job: Job | null): void {
    for (const listener of [...this.listeners]) listener(id, job);
  }
}
