// A tiny element builder: enough for a handful of views, no framework.

type Child = Node | string | null | undefined | false;
type Value = string | number | boolean | null | undefined;
type Attrs = Record<string, Value | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  element.append(
    ...children.filter(
      (child): child is Node | string => child !== null && child !== undefined && child !== false,
    ),
  );
  return element;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** An ARIA state such as aria-busy: "true", or absent. */
export function setFlag(element: HTMLElement, name: `aria-${string}`, on: boolean): void {
  if (on) element.setAttribute(name, "true");
  else element.removeAttribute(name);
}

const numbers = new Intl.NumberFormat("en");

export function count(n: number): string {
  return numbers.format(n);
}

const dates = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

export function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dates.format(date);
}

const instants = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });

/** To the second: "Dec 1, 2026, 10:33:41 PM", to tell apart letters of the same minute. */
export function whenExactly(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : instants.format(date);
}

/** A wait as a person reads it: "40 seconds", "15 minutes". */
export function waitFor(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 90) return `${whole} second${whole === 1 ? "" : "s"}`;
  return `${Math.ceil(whole / 60)} minutes`;
}

const clock = new Intl.DateTimeFormat("en", { timeStyle: "medium" });

/** A moment later today, in the reader's time zone: "6:44:32 PM". */
export function at(date: Date): string {
  return clock.format(date);
}

/** The tab's title, the first thing a screen reader says of a page: "New cover letter — CareerOps". */
export function setTitle(what: string): void {
  document.title = `${what} — CareerOps`;
}
