// The new-letter form: the contract's limits shown and enforced as the user types.

import { count, h, show } from "../dom";
import { ApiError } from "../gql";
import { createLetter, type Job, type NewLetter } from "../jobs";
import { LIMITS, TONES, type LimitedField } from "../limits";

const ACCEPTED = [".txt", ".md", ".markdown"];

interface Field {
  input: HTMLInputElement | HTMLTextAreaElement;
  error: HTMLElement;
}

export function formView(token: string, onCreated: (job: Job) => void): HTMLElement {
  const fields = new Map<LimitedField, Field>();
  const status = h("p", { class: "status", role: "status" });
  let idempotencyKey = newKey();

  function limited(
    name: LimitedField,
    label: string,
    input: HTMLInputElement | HTMLTextAreaElement,
    hint: string,
  ): HTMLElement {
    const max = LIMITS[name];
    const counter = h("span", { class: "count", id: `${name}-count` }, `0 / ${count(max)}`);
    const error = h("p", { class: "error", id: `${name}-error`, hidden: true });
    Object.assign(input, { id: name, name, maxLength: max });
    input.setAttribute("aria-describedby", `${name}-hint ${name}-count ${name}-error`);
    input.addEventListener("input", () => {
      counter.textContent = `${count(input.value.length)} / ${count(max)}`;
      counter.classList.toggle("at-limit", input.value.length >= max);
      setError(
        { input, error },
        input.value.length >= max ? `Limit reached: ${count(max)} characters.` : "",
      );
    });
    fields.set(name, { input, error });
    return h(
      "div",
      { class: "field" },
      h("div", { class: "label-row" }, h("label", { for: name }, label), counter),
      input,
      h("p", { class: "hint", id: `${name}-hint` }, hint),
      error,
    );
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

  async function send(): Promise<void> {
    const input = collect(fields, tone.value);
    if (!input) return;
    submit.disabled = true;
    status.textContent = "Sending…";
    try {
      const job = await createLetter(token, input, idempotencyKey);
      idempotencyKey = newKey(); // the next submission is a new letter
      status.textContent = "";
      onCreated(job);
    } catch (error) {
      const field = error instanceof ApiError && fields.get(error.field as LimitedField);
      if (field) {
        setError(field, (error as ApiError).message);
        field.input.focus();
        status.textContent = "";
      } else {
        status.textContent = error instanceof Error ? error.message : "Something went wrong.";
      }
    } finally {
      submit.disabled = false;
    }
  }

  return form;
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

function setError(field: Field, message: string): void {
  field.error.textContent = message;
  show(field.error, !!message);
  if (message && !message.startsWith("Limit")) field.input.setAttribute("aria-invalid", "true");
  else field.input.removeAttribute("aria-invalid");
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
  // UTF-8 spends at most 3 bytes per UTF-16 unit: a larger file cannot fit, so skip reading it.
  const text = file.size > 4 * LIMITS.cvText ? null : await file.text();
  if (text === null || text.length > LIMITS.cvText) {
    setError(field, `That file is longer than ${count(LIMITS.cvText)} characters.`);
    return;
  }
  cv.value = text;
  cv.dispatchEvent(new Event("input"));
  status.textContent = `Loaded ${file.name} (${count(text.length)} characters).`;
}

function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
