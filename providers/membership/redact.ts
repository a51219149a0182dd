/**
 * Keeps secrets out of error text. etcd and grpc-js answer with their own messages (measured: none
 * repeats a password), but an error from any library may quote its request, and whatever the
 * provider throws is shown by the engine and kept in its logs.
 */
export const REDACTED = "[secret]";

export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, secret) => t.split(secret).join(REDACTED), text);
}

/** The same error, its message, stack and causes with every secret replaced. */
export function redactError(error: unknown, secrets: readonly (string | undefined)[]): unknown {
  const known = secrets.filter((s): s is string => typeof s === "string" && s.length > 0);
  if (known.length === 0) return error;
  if (!(error instanceof Error)) return new Error(redact(String(error), known));
  error.message = redact(error.message, known);
  if (error.stack) error.stack = redact(error.stack, known);
  if (error.cause !== undefined) error.cause = redactError(error.cause, known);
  return error;
}
