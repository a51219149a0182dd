/**
 * One Kubernetes API call with a deadline per attempt, bounded retries of transient failures, and
 * an error that names the object, the HTTP status and the server's own explanation.
 *
 * npm modules come from `./modules`, loaded at call time (the provider is serialized by Pulumi).
 */
import type {
  ConfigurationOptions,
  ObservableMiddleware,
  RequestContext,
} from "@kubernetes/client-node";
import { clientNode, cockatiel } from "./modules";

export interface CallLimits {
  /** Deadline of one attempt, in milliseconds. */
  attemptTimeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  retries: number;
  /** First delay between attempts; it grows exponentially up to `maxRetryDelayMs`. */
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = {
  attemptTimeoutMs: 15_000,
  retries: 4,
  initialRetryDelayMs: 200,
  maxRetryDelayMs: 4_000,
};

/** A failed call: the message names the object; `status` is the HTTP status when the API answered. */
export interface KubeCallError extends Error {
  status?: number;
}

/** The HTTP status of a failed call, or undefined when the API never answered. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { status?: unknown; code?: unknown } | null)?.status;
  if (typeof code === "number") return code;
  const apiCode = (error as { code?: unknown } | null)?.code;
  return typeof apiCode === "number" ? apiCode : undefined;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusOf(error) === 409;

/** Network error codes after which the same request may well succeed. */
const TRANSIENT_NETWORK_CODES = [
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
];

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

const isTimeout = (error: unknown): boolean =>
  (error as { isTaskCancelledError?: unknown } | null)?.isTaskCancelledError === true;

/** 429, 5xx (but 501) and dropped or refused connections: worth another attempt. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || (status >= 500 && status !== 501);
  if (isTimeout(error)) return true;
  const code = networkCode(error);
  return code !== undefined && TRANSIENT_NETWORK_CODES.includes(code);
}

/** The API server's explanation from a `Status` body, when there is one. */
export function statusText(body: unknown): string | undefined {
  if (typeof body !== "string" || body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; message?: unknown };
    const parts = [parsed.reason, parsed.message].filter((p) => typeof p === "string" && p);
    return parts.length > 0 ? parts.join(": ") : undefined;
  } catch {
    return body.slice(0, 300);
  }
}

function describeFailure(error: unknown, server: string, limits: CallLimits): string {
  const status = statusOf(error);
  if (status !== undefined) {
    const text = statusText((error as { body?: unknown }).body);
    return `HTTP ${status}${text ? ` ${text}` : ""}`;
  }
  if (isTimeout(error)) return `no answer from ${server} within ${limits.attemptTimeoutMs} ms`;
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return `cannot reach the Kubernetes API at ${server}: ${message}${code ? ` (${code})` : ""}`;
}

/**
 * Per-attempt options: the attempt's abort signal (so a timed-out request is really cancelled) and
 * extra headers, set by a middleware in client-node's Observable style (its object API runs them).
 */
function attemptOptions(
  signal: AbortSignal,
  headers: Record<string, string>,
): ConfigurationOptions {
  const { Observable } = clientNode();
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      for (const [key, value] of Object.entries(headers)) context.setHeaderParam(key, value);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

/**
 * Runs `send` until it succeeds, fails permanently, or the retries are used up, then throws a
 * `KubeCallError` whose message starts with `action` (e.g. `read StatefulSet etcd/etcd/scale`).
 */
export async function callKube<T>(
  action: string,
  server: string,
  send: (options: ConfigurationOptions) => Promise<T>,
  headers: Record<string, string> = {},
  limits: CallLimits = DEFAULT_CALL_LIMITS,
): Promise<T> {
  const { wrap, retry, handleWhen, ExponentialBackoff, timeout, TimeoutStrategy } = cockatiel();
  const policy = wrap(
    retry(handleWhen(isTransient), {
      maxAttempts: limits.retries,
      backoff: new ExponentialBackoff({
        initialDelay: limits.initialRetryDelayMs,
        maxDelay: limits.maxRetryDelayMs,
      }),
    }),
    timeout(limits.attemptTimeoutMs, TimeoutStrategy.Aggressive),
  );
  let attempts = 0;
  try {
    return await policy.execute(({ signal }) => {
      attempts += 1;
      return send(attemptOptions(signal, headers));
    });
  } catch (error) {
    const retried = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    const failure: KubeCallError = new Error(
      `${action}: ${describeFailure(error, server, limits)}${retried}`,
      { cause: error },
    );
    failure.status = statusOf(error);
    throw failure;
  }
}

/** Like `callKube`, but a 404 answer means the object is absent: resolves to undefined. */
export async function callKubeOrAbsent<T>(
  action: string,
  server: string,
  send: (options: ConfigurationOptions) => Promise<T>,
  limits: CallLimits = DEFAULT_CALL_LIMITS,
): Promise<T | undefined> {
  try {
    return await callKube(action, server, send, {}, limits);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A delete or patch of an object that may be gone already: its absence is what was wanted. */
export async function unlessAbsent(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
