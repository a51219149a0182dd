/**
 * Whether the Pulumi engine that started this provider process still runs. The engine launches the
 * dynamic provider in its own process group, so a `kill -9` of the CLI leaves the provider running
 * (and changing the cluster) with nobody to report to. A provider whose engine is gone must stop
 * before its next step and exit.
 *
 * The engine is the parent recorded at the first call in this process. Between the engine and the
 * provider there may be the plugin's launcher script (`pulumi-resource-pulumi-nodejs` runs node
 * from `sh` without `exec`): that shell outlives the engine, so on Linux every shell ancestor is
 * skipped and the one above it is watched too. The engine is gone when any recorded process is
 * re-parented (its parent exited) or no longer exists. Elsewhere only the direct parent is
 * watched. Node modules are `require`d at call time (the provider is serialized by Pulumi).
 */
import { hasErrorName, namedError } from "../../model/errors";

export const ENGINE_GONE = "EngineGone";

export const isEngineGone = (error: unknown): boolean => hasErrorName(error, ENGINE_GONE);

export interface EngineWatch {
  /** True while the engine recorded at the first call runs. */
  alive(): boolean;
  /** Throws an Error named `EngineGone` once the engine has exited. */
  ensureAlive(): void;
}

/** One recorded link: `pid`'s parent was `parent` when first seen. */
interface Link {
  pid: number;
  parent: number;
  /** The parent's command, when it is a launcher shell that was looked through. */
  parentCommand?: string;
}

const LAUNCHER_SHELLS = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"];

/** How many launcher shells may sit between the engine and the provider. */
const MAX_LAUNCHERS = 3;

export function watchEngine(): EngineWatch {
  const links = recordedLinks();
  return {
    alive: () => links.every(linkIntact),
    ensureAlive: () => {
      if (!links.every(linkIntact)) throw engineGone(links);
    },
  };
}

/**
 * Shared by every call in this process (a global, not module state: the provider is serialized and
 * may be loaded more than once), so the parent is the one seen first, i.e. the engine.
 */
function recordedLinks(): Link[] {
  const key = Symbol.for("etcd-k8s.membership.engineWatch");
  const shared = globalThis as typeof globalThis & { [key]?: Link[] };
  shared[key] ??= recordLinks();
  return shared[key];
}

function recordLinks(): Link[] {
  const links: Link[] = [{ pid: process.pid, parent: process.ppid }];
  for (let i = 0; i < MAX_LAUNCHERS; i += 1) {
    const last = links[links.length - 1];
    const command = commandOf(last.parent);
    const grandparent = parentOf(last.parent);
    if (command === undefined || !LAUNCHER_SHELLS.includes(command)) break;
    if (grandparent === undefined || grandparent <= 1) break;
    last.parentCommand = command;
    links.push({ pid: last.parent, parent: grandparent });
  }
  return links;
}

function linkIntact(link: Link): boolean {
  const parent = link.pid === process.pid ? process.ppid : parentOf(link.pid);
  // Unreadable is not evidence of exit; a missing process is (its stat file is gone).
  if (parent === undefined && !processExists(link.pid)) return false;
  if (parent !== undefined && parent !== link.parent) return false;
  return processExists(link.parent);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs = (): typeof import("fs") => require("node:fs");

/** Linux `/proc/<pid>/stat`: `pid (comm) state ppid ...`; comm may hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = nodeFs().readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const ppid = Number(statFields(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * The program a process runs: the name of its executable, else its comm. A script started through
 * its `#!/bin/sh` line, as the CLI starts `pulumi-resource-pulumi-nodejs`, runs the shell (`dash`,
 * `bash`) while its comm is the script's own name.
 */
function commandOf(pid: number): string | undefined {
  try {
    return nodeFs().readlinkSync(`/proc/${pid}/exe`).split("/").pop();
  } catch {
    // Not ours to read, or already gone: the comm may still be readable.
  }
  try {
    return nodeFs().readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function engineGone(links: Link[]): Error {
  const engine = links[links.length - 1].parent;
  const through = links
    .filter((l) => l.parentCommand !== undefined)
    .map((l) => `${l.parentCommand} pid ${l.parent}`);
  const via = through.length > 0 ? `, through ${through.reverse().join(", ")}` : "";
  return namedError(
    ENGINE_GONE,
    `the Pulumi engine that started this provider (pid ${engine}${via}) has exited; provider pid ${process.pid} stops before its next step. The cluster is left between steps; run pulumi up again to continue from its live state.`,
  );
}
