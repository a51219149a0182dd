/**
 * The provider process and the engine that started it: a run whose engine is gone stops before
 * its next step (see `reconcile`), and the process then ends, instead of living on with nobody to
 * call it (the real CLI, killed, left one spinning).
 */
import { isEngineGone, watchEngine } from "./engineWatch";
import { PROGRESS_PREFIX } from "./reconciler";

/**
 * The engine that started this provider process is gone (its CLI was killed): nobody will read
 * the outcome, and a later run must not find this one still changing the cluster. The run stopped
 * before its next step and released its lease; the process ends here.
 */
export function exitIfEngineGone(error: unknown): void {
  if (!isEngineGone(error)) return;
  console.error(`${PROGRESS_PREFIX} ${(error as Error).message}; exiting`);
  process.exit(1);
}

interface Watchdog {
  /** Runs in progress: one stops by itself before its next step (see `reconcile`). */
  runs: number;
}

/**
 * Ends this provider process once its engine is gone and no run is in progress, e.g. after a run
 * whose last step was under way when the CLI was killed: nobody will call it again, and its gRPC
 * server would keep it alive for ever. One per process (a global: the provider is serialized and
 * may be loaded more than once), checked every second, never keeping Node alive itself.
 */
function processWatchdog(): Watchdog {
  const key = Symbol.for("etcd-k8s.membership.watchdog");
  const shared = globalThis as typeof globalThis & { [key]?: Watchdog };
  if (shared[key]) return shared[key];
  const dog: Watchdog = { runs: 0 };
  const engine = watchEngine();
  survivePipesClosed();
  setInterval(() => {
    if (dog.runs > 0) return;
    try {
      engine.ensureAlive();
    } catch (error) {
      exitIfEngineGone(error);
    }
  }, 1_000).unref();
  shared[key] = dog;
  return dog;
}

/**
 * The engine reads this process's stdout and stderr; once it is killed, every write fails with
 * EPIPE. Unhandled, that error reaches the dynamic-provider host's uncaughtException handler,
 * which reports it on stderr, fails again, and so on: the process spun at full CPU with growing
 * memory (seen with the real CLI). Output nobody reads is dropped instead, and the run goes on to
 * stop before its next step.
 */
function survivePipesClosed(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    });
}

/** Counts a run as in progress for the watchdog while it lasts. */
export async function asRun<T>(work: () => Promise<T>): Promise<T> {
  const dog = processWatchdog();
  dog.runs += 1;
  try {
    return await work();
  } finally {
    dog.runs -= 1;
  }
}
