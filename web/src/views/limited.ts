// A text field held to one of the contract's limits, counted in characters (code points)
// as the API counts them, not in UTF-16 units as `maxlength` does: a counter, a message
// at the limit, and an edit that would pass it is cut to fit.

import { count, h, show } from "../dom";
import { LIMITS, characters, type LimitedField } from "../limits";

export interface Field {
  input: HTMLInputElement | HTMLTextAreaElement;
  error: HTMLElement;
}

export function limitedField(
  name: LimitedField,
  label: string,
  input: HTMLInputElement | HTMLTextAreaElement,
  hint: string,
): { element: HTMLElement; field: Field } {
  const max = LIMITS[name];
  const counter = h("span", { class: "count", id: `${name}-count` }, `0 / ${count(max)}`);
  const field = {
    input,
    error: h("p", { class: "error", id: `${name}-error`, "aria-live": "polite", hidden: true }),
  };
  Object.assign(input, { id: name, name });
  input.setAttribute("aria-describedby", `${name}-hint ${name}-count ${name}-error`);
  let accepted = input.value;
  const enforce = (event: Event): void => {
    let removed = 0;
    // Cutting the text under an input method's composition would garble it: wait for its end.
    if (!(event instanceof InputEvent && event.isComposing)) {
      const offered = characters(input.value);
      accepted = fit(input, accepted, max);
      removed = offered - characters(accepted);
    }
    const length = characters(input.value);
    counter.textContent = `${count(length)} / ${count(max)}`;
    counter.classList.toggle("at-limit", length >= max);
    setError(field, length >= max ? atLimit(max, pasted(event) ? removed : 0) : "", false);
  };
  input.addEventListener("input", enforce);
  input.addEventListener("compositionend", enforce);
  const element = h(
    "div",
    { class: "field" },
    h("div", { class: "label-row" }, h("label", { for: name }, label), counter),
    input,
    h("p", { class: "hint", id: `${name}-hint` }, hint),
    field.error,
  );
  return { element, field };
}

/** `invalid`: the value is wrong (required, refused by the server), not just full. */
export function setError(field: Field, message: string, invalid = !!message): void {
  field.error.textContent = message;
  show(field.error, !!message);
  if (invalid) field.input.setAttribute("aria-invalid", "true");
  else field.input.removeAttribute("aria-invalid");
}

function atLimit(max: number, removed: number): string {
  if (removed <= 0) return `Limit reached: ${count(max)} characters.`;
  const what = removed === 1 ? "character was" : "characters were";
  return `The pasted text was cut to the limit of ${count(max)} characters: its last ${count(removed)} ${what} left out.`;
}

function pasted(event: Event): boolean {
  return event instanceof InputEvent && /^insertFrom(Paste|Drop)/.test(event.inputType);
}

/** Cuts the input's last edit to fit in `max` characters; returns the value now accepted. */
function fit(input: HTMLInputElement | HTMLTextAreaElement, before: string, max: number): string {
  const edited = fitEdit(before, input.value, max);
  if (edited.text !== input.value) {
    input.value = edited.text;
    input.setSelectionRange(edited.caret, edited.caret);
  }
  return edited.text;
}

/**
 * `after` is `before` with one edit applied. Past `max` characters, the text the edit
 * inserted is cut to fit, as `maxlength` does, so typing into a full field changes
 * nothing and a paste keeps its beginning. `caret` is where the kept insertion ends.
 */
function fitEdit(before: string, after: string, max: number): { text: string; caret: number } {
  if (characters(after) <= max) return { text: after, caret: after.length };
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before[start] === after[start]) start++;
  if (start > 0 && isHighSurrogate(after, start - 1)) start--; // never split a pair
  let end = 0;
  while (end < shorter - start && before.at(-1 - end) === after.at(-1 - end)) end++;
  if (end > 0 && isLowSurrogate(after, after.length - end)) end--;
  const head = after.slice(0, start);
  const tail = after.slice(after.length - end);
  const room = Math.max(0, max - characters(head) - characters(tail));
  const kept = [...after.slice(start, after.length - end)].slice(0, room).join("");
  const text = [...(head + kept + tail)].slice(0, max).join(""); // in case `before` was over
  return { text, caret: Math.min(head.length + kept.length, text.length) };
}

function isHighSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xdc00 && unit <= 0xdfff;
}
