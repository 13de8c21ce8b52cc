// Job types, the GraphQL documents the client sends, and the stream reducer.

import { gql, type Variables } from "./gql";

export type JobStatus = "PENDING" | "PROCESSING" | "COMPLETED" | "FAILED" | "CANCELLED";

export const TERMINAL: ReadonlySet<JobStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

export const STATUS_LABEL: Record<JobStatus, string> = {
  PENDING: "Queued",
  PROCESSING: "Writing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

export interface Job {
  id: string;
  status: JobStatus;
  tone: string;
  companyName: string | null;
  applicantName: string | null;
  coverLetter: string | null;
  partialText: string;
  progress: number;
  error: string | null;
  attempts: number;
  seq: number;
  createdAt: string;
}

const JOB_FIELDS =
  "id status tone companyName applicantName coverLetter partialText progress error attempts seq createdAt";

/** One jobEvents event, or a polled `job` turned into a snapshot. */
export interface StreamEvent {
  seq: number;
  status: JobStatus;
  attempt: number;
  progress: number;
  delta: string | null;
  text: string | null;
  error: string | null;
}

export const JOB_EVENTS = `subscription ($id: ID!) {
  jobEvents(jobId: $id) { seq type status attempt progress delta text error }
}`;

export const MY_JOBS = `subscription { myJobs { ${JOB_FIELDS} } }`;

/** What the job view shows: one text buffer per job, and where it stands. */
export interface Stream {
  seq: number;
  status: JobStatus;
  attempt: number;
  progress: number;
  text: string;
  error: string | null;
}

export const EMPTY_STREAM: Stream = {
  seq: -1,
  status: "PENDING",
  attempt: 0,
  progress: 0,
  text: "",
  error: null,
};

/**
 * API.md "Reading a stream": an event whose `text` is set replaces the buffer,
 * a DELTA appends. `seq` only grows, so anything at or below the buffer's seq
 * is already on screen (a late poll, a delta a snapshot already covered):
 * null means "ignore", which is how text is never duplicated or lost.
 */
export function applyEvent(state: Stream, event: StreamEvent): Stream | null {
  const stale = event.text !== null ? event.seq < state.seq : event.seq <= state.seq;
  if (stale) return null;
  return {
    seq: event.seq,
    status: event.status,
    attempt: event.attempt,
    progress: event.progress,
    text: event.text ?? state.text + (event.delta ?? ""),
    error: event.error,
  };
}

export function snapshotOf(job: Job): StreamEvent {
  return {
    seq: job.seq,
    status: job.status,
    attempt: job.attempts,
    progress: job.progress,
    delta: null,
    text: letterOf(job),
    error: job.error,
  };
}

export function letterOf(job: Job): string {
  return job.status === "COMPLETED" ? (job.coverLetter ?? job.partialText) : job.partialText;
}

export function titleOf(job: Pick<Job, "companyName">): string {
  return job.companyName ? `Letter for ${job.companyName}` : "Cover letter";
}

async function one<T>(token: string, query: string, variables: Variables): Promise<T> {
  const data = await gql<Record<string, T>>(query, variables, token);
  return Object.values(data)[0] as T;
}

export function fetchJob(token: string, id: string): Promise<Job | null> {
  return one(token, `query ($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id });
}

export interface JobPage {
  edges: { node: Job }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function fetchJobs(token: string, after: string | null = null): Promise<JobPage> {
  return one(
    token,
    `query ($after: String) { jobs(first: 20, after: $after) {
      edges { node { ${JOB_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    { after },
  );
}

export interface NewLetter {
  jobDescription: string;
  cvText: string;
  tone: string;
  companyName: string | null;
  applicantName: string | null;
}

export function createLetter(token: string, input: NewLetter, key: string): Promise<Job> {
  return one(
    token,
    `mutation ($input: CoverLetterInput!, $key: String) {
      createCoverLetter(input: $input, idempotencyKey: $key) { ${JOB_FIELDS} } }`,
    { input, key },
  );
}

export function cancelJob(token: string, id: string): Promise<Job> {
  return one(token, `mutation ($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`, { id });
}

export function retryJob(token: string, id: string): Promise<Job> {
  return one(token, `mutation ($id: ID!) { retryJob(id: $id) { ${JOB_FIELDS} } }`, { id });
}

export function deleteJob(token: string, id: string): Promise<boolean> {
  return one(token, `mutation ($id: ID!) { deleteJob(id: $id) }`, { id });
}
