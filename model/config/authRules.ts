/**
 * Rules for etcd authentication settings, shared by the stack config and the membership provider's
 * `check`. A message about the password names the key and what is allowed, never the value (not
 * even its length): it is printed by the CLI and kept in logs. Dependency-free, like rules.ts.
 */
import type { Violation } from "./rules";

export const ROOT_PASSWORD_KEY = "auth.rootPassword";
export const MIN_ROOT_PASSWORD_LENGTH = 12;
export const MAX_ROOT_PASSWORD_LENGTH = 128;

/** Shown in place of a value that must not be printed. */
export const NOT_SHOWN = "(secret, not shown)";

export const SET_ROOT_PASSWORD = `pulumi config set --secret --path ${ROOT_PASSWORD_KEY} <password>`;

/** A violation whose value is withheld. */
export function secretViolation(key: string, allowed: string): Violation {
  return {
    key,
    value: NOT_SHOWN,
    allowed,
    message: `${key}: the value given ${NOT_SHOWN} is not allowed; ${allowed}`,
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function checkRootPassword(key: string, value: unknown): Violation | undefined {
  const allowed =
    `must be text of ${MIN_ROOT_PASSWORD_LENGTH} to ${MAX_ROOT_PASSWORD_LENGTH} characters ` +
    `without control characters (line breaks, tabs); set it with: ${SET_ROOT_PASSWORD}`;
  if (
    typeof value !== "string" ||
    value.length < MIN_ROOT_PASSWORD_LENGTH ||
    value.length > MAX_ROOT_PASSWORD_LENGTH ||
    CONTROL_CHARACTERS.test(value)
  )
    return secretViolation(key, allowed);
  return undefined;
}
