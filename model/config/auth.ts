/**
 * The `auth` settings: etcd RBAC with a root user. `enabled` is plain; `rootPassword` is a Pulumi
 * secret, checked here when it is text (the stack config) and by the membership provider's `check`
 * with the same rule when it is an Output (a program passing `config.requireSecret(...)`).
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  ROOT_PASSWORD_KEY,
  SET_ROOT_PASSWORD,
  checkRootPassword,
  secretViolation,
} from "./authRules";
import { type Violation, checkBoolean, violation } from "./rules";

export interface AuthArgs {
  /** Turn etcd authentication on (default false). */
  enabled?: boolean;
  /** Root's password; required when enabled. Pass a secret (`config.requireSecret`). */
  rootPassword?: pulumi.Input<string>;
}

export interface AuthSettings {
  enabled: boolean;
  /** Present exactly when enabled. */
  rootPassword?: pulumi.Input<string>;
}

const AUTH_FIELDS = ["enabled", "rootPassword"];

/** Outputs and promises resolve later: the provider's `check` applies the rule to the value. */
const resolvesLater = (value: unknown): boolean => typeof value === "object" && value !== null;

export function checkAuth(args: unknown, out: Violation[]): AuthSettings {
  if (args === undefined) return { enabled: false };
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    out.push(
      secretViolation(
        "auth",
        `must be an object with enabled and rootPassword; set them with pulumi config set --path auth.enabled true and ${SET_ROOT_PASSWORD}`,
      ),
    );
    return { enabled: false };
  }
  const record = args as Record<string, unknown>;
  // Values of unknown keys are not shown: a misspelt rootPassword would be printed otherwise.
  for (const key of Object.keys(record).filter((k) => !AUTH_FIELDS.includes(k)))
    out.push(
      secretViolation(`auth.${key}`, `unknown key; the keys of auth are ${AUTH_FIELDS.join(", ")}`),
    );
  const enabled = record.enabled ?? false;
  const notBoolean = checkBoolean("auth.enabled", enabled);
  if (notBoolean) out.push(notBoolean);
  const password = record.rootPassword;
  if (enabled !== true) return { enabled: false };
  if (password === undefined) {
    out.push(
      violation(
        ROOT_PASSWORD_KEY,
        undefined,
        `must be set when auth.enabled is true: ${SET_ROOT_PASSWORD}`,
      ),
    );
    return { enabled: false };
  }
  if (!resolvesLater(password)) {
    const refused = checkRootPassword(ROOT_PASSWORD_KEY, password);
    if (refused) out.push(refused);
  }
  return { enabled: true, rootPassword: password as pulumi.Input<string> };
}
