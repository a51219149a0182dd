/**
 * Drives the real `@pulumi/pulumi/cmd/dynamic-provider` gRPC server the way the Pulumi engine does
 * (the CLI cannot be installed offline). The server is the same program the engine launches as the
 * `pulumi-resource-pulumi-nodejs` plugin; requests carry the serialized provider in `__provider`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provider_pb from "@pulumi/pulumi/proto/provider_pb";
import * as provider_grpc_pb from "@pulumi/pulumi/proto/provider_grpc_pb";

export type Props = Record<string, unknown>;

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface DiffReply {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface ProviderProcessOptions {
  /** Pulumi project name, as the engine passes it (unqualified config keys resolve against it). */
  project?: string;
  env?: NodeJS.ProcessEnv;
}

const DIFF_CHANGES: Record<number, DiffReply["changes"]> = {
  [provider_pb.DiffResponse.DiffChanges.DIFF_NONE]: "none",
  [provider_pb.DiffResponse.DiffChanges.DIFF_SOME]: "some",
  [provider_pb.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "unknown",
};

/** gRPC structs drop `undefined`; the engine never sends it either. */
function toStruct(props: Props): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

function fromStruct(s: Struct | undefined): Props {
  return (s?.toJavaScript() ?? {}) as Props;
}

export class ProviderProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: provider_grpc_pb.ResourceProviderClient,
    private readonly exited: Promise<number | null>,
    /** Everything the provider printed (stdout after the port line, and stderr), line by line. */
    readonly output: string[],
  ) {}

  static async start(options: ProviderProcessOptions = {}): Promise<ProviderProcess> {
    const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
    const child = spawn(process.execPath, [entry, "127.0.0.1:0"], {
      env: {
        ...process.env,
        ...options.env,
        PULUMI_NODEJS_PROJECT: options.project ?? "etcd-k8s",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const port = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      let first = true;
      lines.on("line", (line) => {
        if (first) {
          first = false;
          const port = Number(line.trim());
          if (Number.isInteger(port) && port > 0) resolve(port);
          else reject(new Error(`dynamic provider printed "${line}" instead of its port`));
          return;
        }
        output.push(line);
      });
      readline.createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
      child.once("exit", (code) =>
        reject(new Error(`dynamic provider exited with ${code} before printing its port`)),
      );
    });
    const client = new provider_grpc_pb.ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    return new ProviderProcess(child, client, exited, output);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private call<Req, Res>(
    method: (
      req: Req,
      meta: grpc.Metadata,
      opts: Partial<grpc.CallOptions>,
      cb: (err: grpc.ServiceError | null, res: Res) => void,
    ) => unknown,
    req: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, req, new grpc.Metadata(), {}, (err, res) =>
        err ? reject(new Error(err.details || err.message)) : resolve(res),
      );
    });
  }

  async configure(config: Record<string, string> = {}): Promise<{
    acceptSecrets: boolean;
    supportsPreview: boolean;
  }> {
    const req = new provider_pb.ConfigureRequest();
    req.setArgs(toStruct(config));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    const res = await this.call(this.client.configure, req);
    return { acceptSecrets: res.getAcceptsecrets(), supportsPreview: res.getSupportspreview() };
  }

  async check(
    urn: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    const req = new provider_pb.CheckRequest();
    req.setUrn(urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const res = await this.call(this.client.check, req);
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res
        .getFailuresList()
        .map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<DiffReply> {
    const req = new provider_pb.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const res = await this.call(this.client.diff, req);
    return {
      changes: DIFF_CHANGES[res.getChanges()] ?? "unknown",
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  async create(urn: string, properties: Props): Promise<{ id: string; properties: Props }> {
    const req = new provider_pb.CreateRequest();
    req.setUrn(urn);
    req.setProperties(toStruct(properties));
    const res = await this.call(this.client.create, req);
    return { id: res.getId(), properties: fromStruct(res.getProperties()) };
  }

  async read(
    urn: string,
    id: string,
    properties: Props,
    inputs?: Props,
  ): Promise<{ id: string; properties: Props; inputs?: Props }> {
    const req = new provider_pb.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(toStruct(properties));
    if (inputs) req.setInputs(toStruct(inputs));
    const res = await this.call(this.client.read, req);
    const returnedInputs = res.getInputs();
    return {
      id: res.getId(),
      properties: fromStruct(res.getProperties()),
      ...(returnedInputs ? { inputs: fromStruct(returnedInputs) } : {}),
    };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<{ properties: Props }> {
    const req = new provider_pb.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const res = await this.call(this.client.update, req);
    return { properties: fromStruct(res.getProperties()) };
  }

  async delete(urn: string, id: string, properties: Props): Promise<void> {
    const req = new provider_pb.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(toStruct(properties));
    await this.call(this.client.delete, req);
  }

  /** Stops the server as the engine does at the end of a run; SIGKILL emulates a crash. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
