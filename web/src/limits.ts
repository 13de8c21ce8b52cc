// The contract's input limits (API.md, CoverLetterInput), in characters.
export const LIMITS = {
  jobDescription: 20_000,
  cvText: 50_000,
  companyName: 200,
  applicantName: 200,
} as const;

export type LimitedField = keyof typeof LIMITS;

export const PASSWORD_MIN = 8;

export const TONES = ["PROFESSIONAL", "FRIENDLY", "ENTHUSIASTIC", "FORMAL", "CONFIDENT"] as const;
export type Tone = (typeof TONES)[number];

/** The length of `text` as the API counts it: Unicode code points, not UTF-16 units. */
export function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
