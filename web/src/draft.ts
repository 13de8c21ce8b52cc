// What the user was doing when the page signed them out on its own (the token expired):
// the unsent form and the route. Kept in this tab's memory only, never in storage, and
// given back only to the same account (the token's subject, not the email: an address
// deleted and registered again is another account) when it signs in again.

import { accountOf } from "./session";
import type { Draft } from "./views/form";

export interface Unfinished {
  draft: Draft | null;
  hash: string;
}

let kept: (Unfinished & { account: string; email: string }) | null = null;

export function keepUnfinished(token: string, email: string, unfinished: Unfinished): void {
  const account = accountOf(token);
  kept = account === null ? null : { ...unfinished, account, email };
}

/** The email to offer on the sign-in form, when something is kept for it. */
export function keptEmail(): string {
  return kept?.email ?? "";
}

/** What `token`'s account left behind, if anything; whoever signs in, it is kept no longer. */
export function takeUnfinished(token: string): Unfinished | null {
  const found = kept !== null && kept.account === accountOf(token) ? kept : null;
  kept = null;
  return found && { draft: found.draft, hash: found.hash };
}

export function forgetUnfinished(): void {
  kept = null;
}
