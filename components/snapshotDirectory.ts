/**
 * Where the membership provider writes safety snapshots. The provider runs on the machine that runs
 * `pulumi up`, so the directory is local to it: by default `snapshots/<stack>/<clusterName>` in the
 * project directory (the program's working directory), resolved here to an absolute path.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSettings } from "../model/config/settings";
import type { SnapshotSettings } from "../model/config/snapshotRules";

export function snapshotDirectory(settings: ClusterSettings): string {
  const given = settings.snapshots.directory;
  return path.resolve(given ?? path.join("snapshots", pulumi.getStack(), settings.clusterName));
}

/** The membership resource's `snapshots` input, absent when snapshots are disabled. */
export function snapshotInput(settings: ClusterSettings): { snapshots?: SnapshotSettings } {
  if (!settings.snapshots.enabled) return {};
  return { snapshots: { directory: snapshotDirectory(settings), keep: settings.snapshots.keep } };
}
