/**
 * Progress lines attributed to the membership resource. What a dynamic provider prints, the CLI
 * shows under the stack (`pulumi:pulumi:Stack`): the provider is not told which resource a call is
 * for. The engine's Log service takes a URN, though, and the engine starts the provider process
 * with its address as the first argument. Given the resource's URN (the input `__urn`, which
 * preview does not display and `diff` ignores), each line is logged against it, and the CLI shows
 * it under the membership resource. Without an engine or a URN (the provider driven directly in
 * tests), or once the engine does not answer, lines go to stdout as before. Lines keep their order.
 * Node modules are `require`d at call time (the provider is serialized by Pulumi).
 */

interface EngineLog {
  log(urn: string, line: string): void;
}

const ENGINE_ADDRESS = /^[\w.-]+:\d+$/;

/** One per process (a global: the provider is serialized and may be loaded more than once). */
function engineLog(): EngineLog | undefined {
  const key = Symbol.for("etcd-k8s.membership.engineLog");
  const shared = globalThis as typeof globalThis & { [key]?: EngineLog | null };
  if (shared[key] === undefined) shared[key] = connect() ?? null;
  return shared[key] ?? undefined;
}

function connect(): EngineLog | undefined {
  const address = process.argv[2];
  if (address === undefined || !ENGINE_ADDRESS.test(address)) return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const grpc: typeof import("@grpc/grpc-js") = require("@grpc/grpc-js");
  const services: typeof import("@pulumi/pulumi/proto/engine_grpc_pb") = require("@pulumi/pulumi/proto/engine_grpc_pb");
  const messages: typeof import("@pulumi/pulumi/proto/engine_pb") = require("@pulumi/pulumi/proto/engine_pb");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const client = new services.EngineClient(address, grpc.credentials.createInsecure());
  let reachable = true;
  let queue = Promise.resolve();
  return {
    log(urn: string, line: string) {
      queue = queue.then(async () => {
        if (!reachable) return void console.log(line);
        const request = new messages.LogRequest()
          .setSeverity(messages.LogSeverity.INFO)
          .setMessage(line)
          .setUrn(urn);
        await new Promise<void>((resolve) =>
          client.log(request, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (error) => {
            if (error) {
              reachable = false;
              // An engine that is gone reads nothing, not even stdout: the line is not repeated.
              if (error.code !== grpc.status.UNAVAILABLE) console.log(line);
            }
            resolve();
          }),
        );
      });
    },
  };
}

/** Where the progress lines of a run on the resource `urn` go. */
export function progressLog(urn: string | undefined): (line: string) => void {
  const engine = urn ? engineLog() : undefined;
  if (!engine || !urn) return (line) => console.log(line);
  return (line) => engine.log(urn, line);
}
