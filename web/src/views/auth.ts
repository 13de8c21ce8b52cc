// Sign in or create an account: one form, two buttons.

import { h, setFlag, waitFor } from "../dom";
import { ApiError, gql } from "../gql";
import { PASSWORD_MIN } from "../limits";
import type { Session } from "../session";

const AUTH = (field: "login" | "register"): string =>
  `mutation ($email: String!, $password: String!) {
    ${field}(email: $email, password: $password) { token user { email } }
  }`;

interface AuthPayload {
  token: string;
  user: { email: string };
}

export function authView(
  onSignedIn: (session: Session) => void,
  notice = "",
  knownEmail = "",
): HTMLElement {
  const email = h("input", {
    id: "email",
    name: "email",
    type: "email",
    autocomplete: "username",
    required: true,
    maxlength: 320,
    value: knownEmail,
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    minlength: PASSWORD_MIN,
    "aria-describedby": "password-hint",
  });
  const message = h("p", { class: "error", role: "alert", id: "auth-error" }, notice);
  const buttons = [
    h("button", { type: "submit", class: "primary", value: "login" }, "Sign in"),
    h("button", { type: "submit", value: "register" }, "Create account"),
  ];
  const form = h(
    "form",
    { class: "auth", novalidate: true, "aria-labelledby": "auth-title" },
    h("h1", { id: "auth-title", tabindex: -1 }, "Sign in to CareerOps"),
    h("p", { class: "lead" }, "Write a cover letter and watch it appear as it is written."),
    h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
    h(
      "div",
      { class: "field" },
      h("label", { for: "password" }, "Password"),
      password,
      h("p", { class: "hint", id: "password-hint" }, `At least ${PASSWORD_MIN} characters.`),
    ),
    message,
    h("div", { class: "actions" }, ...buttons),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const action =
      (event.submitter as HTMLButtonElement | null)?.value === "register" ? "register" : "login";
    void submit(action);
  });

  // One request at a time: a double click would sign in twice and open two sessions.
  // aria-disabled, not disabled, so the pressed button keeps the keyboard focus.
  let busy = false;
  const setBusy = (value: boolean): void => {
    busy = value;
    setFlag(form, "aria-busy", value);
    for (const button of buttons) setFlag(button, "aria-disabled", value);
  };

  /** Marks each field invalid or not; returns the first to fix, if any. */
  const mark = (emailWrong: boolean, passwordWrong: boolean): HTMLInputElement | null =>
    [flag(email, emailWrong), flag(password, passwordWrong)].find(Boolean) ?? null;

  async function submit(action: "login" | "register"): Promise<void> {
    if (busy) return;
    // A password manager offers to make up a password only for a new account.
    password.autocomplete = action === "register" ? "new-password" : "current-password";
    const wrong = mark(!email.value.trim(), password.value.length < PASSWORD_MIN);
    if (wrong) {
      message.textContent = `Enter your email and a password of at least ${PASSWORD_MIN} characters.`;
      wrong.focus(); // the field to fix, not the button, with the message read out as it is
      return;
    }
    setBusy(true);
    message.textContent = "";
    try {
      const variables = { email: email.value.trim(), password: password.value };
      const data = await gql<Record<string, AuthPayload>>(AUTH(action), variables);
      const payload = data[action];
      onSignedIn({ token: payload.token, email: payload.user.email });
    } catch (error) {
      message.textContent = describe(error);
      // Refused by the server: pointed at the same way as a refusal before sending.
      const refused = refusedFields(error);
      mark(refused.includes("email"), refused.includes("password"))?.focus();
    } finally {
      setBusy(false);
    }
  }

  return form;
}

/** Marks `field` invalid, described by the form's message, or clears that; returns it if invalid. */
function flag(field: HTMLInputElement, invalid: boolean): HTMLInputElement | null {
  const described = (field.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  const others = described.filter((id) => id !== "auth-error");
  setFlag(field, "aria-invalid", invalid);
  field.setAttribute("aria-describedby", (invalid ? [...others, "auth-error"] : others).join(" "));
  if (!field.getAttribute("aria-describedby")) field.removeAttribute("aria-describedby");
  return invalid ? field : null;
}

/** The fields a refusal is about: both for a wrong pair (which one, the server will not
 * say), the email for one already taken; none when it is the network's or the limits'. */
function refusedFields(error: unknown): ("email" | "password")[] {
  if (!(error instanceof ApiError)) return [];
  if (error.code === "UNAUTHENTICATED") return ["email", "password"];
  if (error.code === "CONFLICT") return ["email"];
  if (error.code === "BAD_USER_INPUT" && (error.field === "email" || error.field === "password")) {
    return [error.field];
  }
  return [];
}

function describe(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  if (error.code === "RATE_LIMITED" && error.retryAfter) {
    return `Too many attempts. Try again in ${waitFor(error.retryAfter)}.`;
  }
  return error.message;
}
