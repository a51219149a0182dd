/**
 * Container probes as the kubelet runs them (pkg/kubelet/prober): httpGet and tcpSocket against the
 * pod IP, first after initialDelaySeconds, then on every tick of periodSeconds (at once after a
 * probe that outlasted a tick), each bounded by timeoutSeconds; the result flips after successThreshold successes or failureThreshold failures.
 * A readiness result starts as failure, liveness as success, startup as not yet started.
 */
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type ProbeKind = "startup" | "readiness" | "liveness";

/** The probe handlers this kubelet can run; anything else cannot start (exec needs a container). */
export function unsupportedProbe(container: V1Container): string | undefined {
  for (const [kind, probe] of [
    ["startup", container.startupProbe],
    ["liveness", container.livenessProbe],
    ["readiness", container.readinessProbe],
  ] as const) {
    if (probe !== undefined && probe.httpGet === undefined && probe.tcpSocket === undefined) {
      return `${kind} probe: only httpGet and tcpSocket probes can run in the process kubelet`;
    }
  }
  return undefined;
}

function portNumber(port: number | string, container: V1Container): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (named === undefined) throw new Error(`no container port named ${JSON.stringify(port)}`);
  return named.containerPort;
}

/** One probe attempt: resolves true on success (HTTP 200-399, or a TCP connection). */
export function probeOnce(probe: V1Probe, container: V1Container, podIP: string): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  return new Promise((resolve) => {
    if (probe.tcpSocket !== undefined) {
      const socket = net.connect({
        host: probe.tcpSocket.host ?? podIP,
        port: portNumber(probe.tcpSocket.port as number | string, container),
        timeout: timeoutMs,
      });
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("timeout", () => (socket.destroy(), resolve(false)));
      socket.once("error", () => resolve(false));
      return;
    }
    const get = probe.httpGet!;
    const client = get.scheme === "HTTPS" ? https : http;
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    const request = client.get(
      {
        host: get.host ?? podIP,
        port: portNumber(get.port as number | string, container),
        path: get.path ?? "/",
        headers: { "User-Agent": "kube-probe/1.32", ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

export class ProbeWorker {
  private readonly abort = new AbortController();
  private successes = 0;
  private failures = 0;

  /** `onResult` is called whenever the probe's result flips (and for the first settled result). */
  constructor(
    readonly kind: ProbeKind,
    private readonly probe: V1Probe,
    private readonly container: V1Container,
    private readonly podIP: string,
    private readonly onResult: (success: boolean) => void,
  ) {}

  private result: boolean | undefined;

  start(): void {
    this.result = this.kind === "liveness" ? true : this.kind === "readiness" ? false : undefined;
    void this.loop().catch((error: unknown) => {
      if ((error as Error).name !== "AbortError") throw error;
    });
  }

  stop(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    await sleep((this.probe.initialDelaySeconds ?? 0) * 1000, undefined, { signal });
    // The kubelet's worker probes, then waits on a time.Ticker of the period: a tick that came
    // while a slow probe ran is kept (one; later ones are dropped), so a probe that times out
    // is followed by the next at once, not a whole period later.
    const period = (this.probe.periodSeconds ?? 10) * 1000;
    const origin = Date.now();
    let ticksTaken = 0;
    while (!signal.aborted) {
      const ok = await probeOnce(this.probe, this.container, this.podIP);
      if (signal.aborted) return;
      this.record(ok);
      const ticksSoFar = Math.floor((Date.now() - origin) / period);
      if (ticksSoFar > ticksTaken) {
        ticksTaken = ticksSoFar;
        continue;
      }
      ticksTaken++;
      await sleep(origin + ticksTaken * period - Date.now(), undefined, { signal });
    }
  }

  private record(ok: boolean): void {
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const flipsToSuccess =
      ok && this.result !== true && this.successes >= (this.probe.successThreshold ?? 1);
    const flipsToFailure =
      !ok && this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3);
    if (flipsToSuccess || flipsToFailure) {
      this.result = ok;
      this.onResult(ok);
    }
  }
}
