/**
 * The `snapshots` setting: whether the membership provider takes a safety snapshot before every
 * membership change, where (a directory on the machine that runs `pulumi up`) and how many it keeps.
 */
import * as path from "node:path";
import { type Violation, violation } from "./rules";
import { checkKnownKeys, checkMap, collect } from "./structuredValues";

export const SNAPSHOT_KEYS = ["enabled", "directory", "keep"] as const;
export const MIN_SNAPSHOTS_KEPT = 1;
export const MAX_SNAPSHOTS_KEPT = 100;
export const DEFAULT_SNAPSHOTS_KEPT = 5;

export interface SnapshotsArgs {
  /** Default true. */
  enabled?: boolean;
  /** Default `snapshots/<stack>/<clusterName>`; relative paths are taken from the project directory. */
  directory?: string;
  /** Default 5. */
  keep?: number;
}

export interface SnapshotsConfig {
  enabled: boolean;
  /** As given; the component resolves the default and relative paths. */
  directory?: string;
  keep: number;
}

/** Resolved settings, as the membership provider takes them. */
export interface SnapshotSettings {
  /** Absolute directory the snapshots are written to (created owner-only when missing). */
  directory: string;
  /** How many snapshots of this cluster to keep, newest first. */
  keep: number;
}

/** `pulumi config set --path` may store scalars as text: read "3" and "false" as what they say. */
const asNumber = (v: unknown): unknown =>
  typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
const asBoolean = (v: unknown): unknown => (v === "true" ? true : v === "false" ? false : v);

export function checkSnapshotsKeep(key: string, value: unknown): Violation | undefined {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < MIN_SNAPSHOTS_KEPT ||
    value > MAX_SNAPSHOTS_KEPT
  )
    return violation(
      key,
      value,
      `must be a whole number from ${MIN_SNAPSHOTS_KEPT} to ${MAX_SNAPSHOTS_KEPT} (how many snapshots to keep)`,
    );
  return undefined;
}

/** `absolute`: the provider's input, which the component has already resolved. */
export function checkSnapshotsDirectory(
  key: string,
  value: unknown,
  absolute = false,
): Violation | undefined {
  if (typeof value !== "string" || value.trim() === "" || value.includes("\0"))
    return violation(key, value, 'must be a directory path, e.g. "snapshots/prod/etcd"');
  if (absolute && !path.isAbsolute(value))
    return violation(key, value, "must be an absolute directory path");
  return undefined;
}

export function checkSnapshots(value: unknown, out: Violation[]): SnapshotsConfig {
  const example = '{"enabled": true, "directory": "snapshots/prod/etcd", "keep": 5}';
  const given = checkMap("snapshots", value, example, out);
  checkKnownKeys("snapshots", given, SNAPSHOT_KEYS, out);
  const enabled = asBoolean(given.enabled ?? true);
  if (typeof enabled !== "boolean")
    out.push(violation("snapshots.enabled", given.enabled, "must be true or false"));
  const keep = asNumber(given.keep ?? DEFAULT_SNAPSHOTS_KEPT);
  collect(out, checkSnapshotsKeep("snapshots.keep", keep));
  const directory = given.directory;
  if (directory !== undefined)
    collect(out, checkSnapshotsDirectory("snapshots.directory", directory));
  return {
    enabled: enabled === true,
    keep: keep as number,
    ...(typeof directory === "string" ? { directory } : {}),
  };
}
