// The new-letter form: the contract's limits shown and enforced as the user types.

import { messageOf } from "../app";
import { count, h, setFlag } from "../dom";
import { ApiError } from "../gql";
import { createLetter, type Job, type NewLetter } from "../jobs";
import { LIMITS, TONES, characters, type LimitedField } from "../limits";
import { limitedField, setError, type Field } from "./limited";

const ACCEPTED = [".txt", ".md", ".markdown"];
const FIELDS = ["jobDescription", "cvText", "companyName", "applicantName"] as const;

/** What the user typed and has not sent yet. */
export type Draft = Record<LimitedField | "tone", string>;

export interface LetterForm {
  element: HTMLFormElement;
  /** The unsent form, or null when nothing was typed into it. */
  draft(): Draft | null;
}

export function formView(
  token: string,
  onCreated: (job: Job) => void,
  draft: Draft | null = null,
): LetterForm {
  const fields = new Map<LimitedField, Field>();
  const status = h("p", { class: "status", role: "status" });
  let idempotencyKey = newKey();
  let keyFor = ""; // the letter the key was sent for, until an answer comes

  function limited(
    name: LimitedField,
    label: string,
    input: HTMLInputElement | HTMLTextAreaElement,
    hint: string,
  ): HTMLElement {
    const { element, field } = limitedField(name, label, input, hint);
    fields.set(name, field);
    return element;
  }

  const description = h("textarea", { rows: 8, required: true });
  const cv = h("textarea", { rows: 8, required: true });
  const tone = h(
    "select",
    { id: "tone", name: "tone" },
    ...TONES.map((value) => h("option", { value }, value[0] + value.slice(1).toLowerCase())),
  );
  const upload = h("input", {
    id: "cv-file",
    type: "file",
    accept: [...ACCEPTED, "text/plain", "text/markdown"].join(","),
  });
  upload.addEventListener("change", () => void loadFile(upload, cv, fields.get("cvText")!, status));
  const submit = h("button", { type: "submit", class: "primary" }, "Write my letter");

  const form = h(
    "form",
    { class: "letter-form", novalidate: true, "aria-labelledby": "form-title" },
    h("h1", { id: "form-title", tabindex: -1 }, "New cover letter"),
    limited("jobDescription", "Job description", description, "Paste the advert. Required."),
    limited("cvText", "Your CV", cv, "Paste it, or load a .txt or .md file below. Required."),
    h(
      "div",
      { class: "field" },
      h("label", { for: "cv-file" }, "Load CV from a file (.txt or .md)"),
      upload,
    ),
    h(
      "div",
      { class: "row" },
      h("div", { class: "field" }, h("label", { for: "tone" }, "Tone"), tone),
      limited(
        "companyName",
        "Company",
        h("input", { type: "text", autocomplete: "organization" }),
        "Optional.",
      ),
      limited(
        "applicantName",
        "Your name",
        h("input", { type: "text", autocomplete: "name" }),
        "Optional.",
      ),
    ),
    h("div", { class: "actions" }, submit),
    status,
  );

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send();
  });

  // One request at a time; aria-disabled, not disabled, so the button keeps the focus.
  let sending = false;
  const say = (message: string, isError = false): void => {
    status.textContent = message;
    status.classList.toggle("error", isError);
  };

  async function send(): Promise<void> {
    if (sending) return;
    const input = collect(fields, tone.value);
    if (!input) return;
    sending = true;
    setFlag(submit, "aria-disabled", true);
    say("Sending…");
    // Sent again after a timeout, the same key gives back the letter the lost answer was
    // about instead of writing a second one; edited since, it is another letter.
    const letter = JSON.stringify(input);
    if (keyFor && keyFor !== letter) idempotencyKey = newKey();
    keyFor = letter;
    try {
      const job = await createLetter(token, input, idempotencyKey);
      idempotencyKey = newKey(); // the next submission is a new letter
      keyFor = "";
      say("");
      onCreated(job);
    } catch (error) {
      const field = error instanceof ApiError && fields.get(error.field as LimitedField);
      if (field) {
        setError(field, (error as ApiError).message);
        field.input.focus();
        say("");
      } else {
        say(messageOf(error), true);
      }
    } finally {
      sending = false;
      setFlag(submit, "aria-disabled", false);
    }
  }

  if (draft) restore(fields, tone, draft);
  return {
    element: form,
    draft: () => {
      const values = { tone: tone.value } as Draft;
      for (const name of FIELDS) values[name] = fields.get(name)!.input.value;
      return FIELDS.some((name) => values[name].trim()) ? values : null;
    },
  };
}

function restore(fields: Map<LimitedField, Field>, tone: HTMLSelectElement, draft: Draft): void {
  for (const name of FIELDS) {
    const input = fields.get(name)!.input;
    input.value = draft[name];
    input.dispatchEvent(new Event("input")); // the counters, and the limits
  }
  tone.value = draft.tone;
}

function collect(fields: Map<LimitedField, Field>, tone: string): NewLetter | null {
  const value = (name: LimitedField): string => fields.get(name)!.input.value;
  let firstInvalid: Field | null = null;
  for (const name of ["jobDescription", "cvText"] as const) {
    const field = fields.get(name)!;
    const empty = !value(name).trim();
    setError(field, empty ? "This field is required." : "");
    if (empty) firstInvalid ??= field;
  }
  if (firstInvalid) {
    firstInvalid.input.focus();
    return null;
  }
  return {
    jobDescription: value("jobDescription"),
    cvText: value("cvText"),
    tone,
    companyName: value("companyName").trim() || null,
    applicantName: value("applicantName").trim() || null,
  };
}

async function loadFile(
  upload: HTMLInputElement,
  cv: HTMLTextAreaElement,
  field: Field,
  status: HTMLElement,
): Promise<void> {
  const file = upload.files?.[0];
  if (!file) return;
  upload.value = "";
  if (!ACCEPTED.some((ext) => file.name.toLowerCase().endsWith(ext))) {
    setError(field, "Choose a .txt or .md file.");
    return;
  }
  // UTF-8 spends at most 4 bytes per character: a larger file cannot fit, so skip reading it.
  const text = file.size > 4 * LIMITS.cvText ? null : await file.text();
  if (text === null || characters(text) > LIMITS.cvText) {
    setError(field, `That file is longer than ${count(LIMITS.cvText)} characters.`);
    return;
  }
  cv.value = text;
  cv.dispatchEvent(new Event("input"));
  status.classList.remove("error");
  status.textContent = `Loaded ${file.name} (${count(characters(text))} characters).`;
}

function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
