/**
 * The process kubelet's API for `pods/portforward`: kubelet-streaming (test/e2e/kube/
 * kubelet-streaming, Kubernetes' own port-forward server code) on the node's IP and a free port,
 * which the Node registers as `status.daemonEndpoints.kubeletEndpoint.Port`. kube-apiserver relays
 * `pods/portforward` (SPDY from kubectl, WebSocket from client-node) to it over mutual TLS: the
 * serving certificate names the node IP and is signed by the control plane's kubelet CA, and only
 * clients with a certificate of that CA (kube-apiserver's) are served.
 *
 * If the server exits while the kubelet runs, that is logged with the end of its log and it is
 * started again on the same port (a test may kill it to break forwards in flight).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { TestCA } from "../../support/certificates";
import { until } from "../support/poll";
import { freePort } from "../support/ports";
import { ManagedProcess, logTail } from "../support/processes";

export interface StreamingOptions {
  binary: string;
  nodeName: string;
  nodeIP: string;
  /** Kubeconfig text: the server reads each pod (node, IP) from the API server. */
  kubeconfig: string;
  /** Signs the serving certificate; the clients' certificates must be signed by it too. */
  ca: TestCA;
  /** Directory for certificates, kubeconfig and log. */
  dir: string;
  /** Delay before a restart after an unexpected exit. Default 200 ms. */
  restartDelayMs?: number;
}

/** Resolves once `host:port` accepts TCP connections (the TLS listener is up). */
function accepts(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(undefined));
  });
}

export class StreamingServer {
  private process: ManagedProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** How many times it was started again after an unexpected exit. */
  restarts = 0;

  private constructor(
    private readonly options: StreamingOptions,
    readonly port: number,
    private readonly args: string[],
    readonly logFile: string,
  ) {}

  static async start(options: StreamingOptions): Promise<StreamingServer> {
    const dir = options.dir;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const serving = await options.ca.issue({
      commonName: `system:node:${options.nodeName}`,
      ipAddresses: [options.nodeIP],
      usages: ["server"],
    });
    const files = {
      cert: path.join(dir, "kubelet.crt"),
      key: path.join(dir, "kubelet.key"),
      ca: path.join(dir, "ca.crt"),
      kubeconfig: path.join(dir, "kubeconfig"),
    };
    fs.writeFileSync(files.cert, serving.cert);
    fs.writeFileSync(files.key, serving.key, { mode: 0o600 });
    fs.writeFileSync(files.ca, options.ca.cert);
    // The admin token: it must not be readable by the pods' (maybe non-root) users.
    fs.writeFileSync(files.kubeconfig, options.kubeconfig, { mode: 0o600 });
    const port = await freePort(options.nodeIP);
    const args = [
      `--listen=${options.nodeIP}:${port}`,
      `--kubeconfig=${files.kubeconfig}`,
      `--node-name=${options.nodeName}`,
      `--tls-cert=${files.cert}`,
      `--tls-key=${files.key}`,
      `--client-ca=${files.ca}`,
    ];
    const server = new StreamingServer(
      options,
      port,
      args,
      path.join(dir, "kubelet-streaming.log"),
    );
    try {
      await server.launch();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** The pid of the running server, if one runs. */
  pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  /** Resolves once a server accepts connections on the port again (after a kill, say). */
  async serving(timeoutMs = 20_000): Promise<void> {
    await until(
      `kubelet-streaming on ${this.options.nodeIP}:${this.port}`,
      () => (this.pid() !== undefined ? accepts(this.options.nodeIP, this.port) : undefined),
      { timeoutMs, maxIntervalMs: 100, initialIntervalMs: 10 },
    );
  }

  private async launch(): Promise<void> {
    const child = ManagedProcess.start({
      name: "kubelet-streaming",
      command: this.options.binary,
      args: this.args,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      logFile: this.logFile,
    });
    this.process = child;
    void child.exited.then((info) => {
      if (this.stopping || this.process !== child) return;
      console.error(
        `process-kubelet: kubelet-streaming (port-forward) stopped unexpectedly (${ManagedProcess.describe(info)}); starting it again. Last log lines of ${this.logFile}:\n${logTail(this.logFile, 5)}`,
      );
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        this.launch().catch((error: unknown) =>
          console.error(`process-kubelet: kubelet-streaming restart: ${(error as Error).message}`),
        );
      }, this.options.restartDelayMs ?? 200);
    });
    await Promise.race([
      this.serving(),
      child.exited.then((info) => {
        throw new Error(
          `kubelet-streaming exited at start (${ManagedProcess.describe(info)}); last log lines of ${this.logFile}:\n${logTail(this.logFile)}`,
        );
      }),
    ]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.process?.stop(5_000);
  }
}
