/**
 * TLS and authentication together, as staging and prod run them, on etcd 3.5 processes
 * (127.8.3.x): the provider verifies members by DNS name and authenticates as root over mutual TLS
 * through create, 1→3, a password change and 3→1; the client certificate alone grants nothing.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as etcd3 from "etcd3";
import type { ClientTLS } from "../../providers/etcd/security";
import type { MembershipInputs } from "../../model/membership/inputs";
import type { MembershipOutputs } from "../../providers/membership/outputs";
import type { LocalCluster } from "../harness/localCluster";
import { localTlsCluster } from "../harness/localTls";
import { assertNoSecret } from "./authScenario";
import { loggingProvider } from "./localProvider";

const PREFIX = "127.8.3";
const FIRST = "tls-auth-root-1";
const SECOND = "tls-auth-root-2";

describe("TLS with authentication through the provider, etcd 3.5", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-tls-auth-"));
  const logged: string[] = [];
  let c: LocalCluster;
  let tls: ClientTLS;
  let outs: MembershipOutputs | undefined;

  before(async () => {
    ({ cluster: c, clientTLS: tls } = await localTlsCluster("tlsauth", PREFIX, scratch));
  });
  after(async () => {
    await c?.dispose();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const provider = () => loggingProvider(c, logged);

  async function converge(size: number, rootPassword: string): Promise<MembershipOutputs> {
    const p = provider();
    const news = {
      clusterName: "tlsauth",
      namespace: "db",
      owner: "etcd-k8s/test/etcd",
      clusterDomain: "cluster.local",
      volumePolicy: "Delete" as const,
      access: "pod-ip" as const,
      tls: { clientSecret: "tlsauth-client-tls" },
      snapshots: { directory: path.join(scratch, "snapshots"), keep: 3 },
      size,
      rootPassword,
    };
    const checked = await p.check!(outs ?? {}, news);
    assert.deepEqual(checked.failures ?? [], []);
    const inputs = checked.inputs as MembershipInputs;
    const done: MembershipOutputs = outs
      ? (await p.update!("db/tlsauth", outs, inputs)).outs
      : (await p.create!(inputs)).outs;
    outs = done;
    assert.equal(done.liveSize, size);
    assert.ok(done.memberStatus.every((m) => m.peerURL.startsWith("https://") && m.healthy));
    return done;
  }

  /** A client of member 0 over mutual TLS, sending `token` when given. */
  const member0 = (token?: string) => {
    const credentials =
      token === undefined
        ? {}
        : {
            credentials: grpc.credentials.createFromMetadataGenerator((_params, callback) => {
              const metadata = new grpc.Metadata();
              metadata.set("token", token);
              callback(null, metadata);
            }),
          };
    return new etcd3.Etcd3({
      hosts: `https://${c.workload.ip(0)}:2379`,
      credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key },
      grpcOptions: { "grpc.ssl_target_name_override": c.workload.serverName(0) },
      defaultCallOptions: (ctx) =>
        ctx.isStream ? credentials : { ...credentials, deadline: Date.now() + 5_000 },
    });
  };

  /**
   * A write as root with `password`, or with the certificate alone. The token is fetched by hand:
   * etcd3's `auth` option authenticates over a channel without `grpcOptions`, so it would verify
   * the member against its IP address.
   */
  async function tryWrite(password?: string): Promise<string> {
    const plain = member0();
    let etcd: etcd3.Etcd3 | undefined;
    try {
      const token =
        password === undefined
          ? undefined
          : (await plain.auth.authenticate({ name: "root", password })).token;
      etcd = member0(token);
      await etcd.put("tls-auth/key").value("v");
      return "ok";
    } catch (error) {
      return (error as Error).message;
    } finally {
      plain.close();
      etcd?.close();
    }
  }

  it("creates, grows, changes root's password and shrinks over mutual TLS", async () => {
    await converge(1, FIRST);
    assert.equal(await tryWrite(FIRST), "ok");
    assert.notEqual(await tryWrite(), "ok", "the provider's certificate alone is no etcd user");
    await converge(3, FIRST);
    await converge(3, SECOND);
    assert.match(await tryWrite(FIRST), /invalid user ID or password/);
    assert.equal(await tryWrite(SECOND), "ok");
    await converge(1, SECOND);
    assert.ok(logged.some((l) => l.includes("enabling authentication")));
    assert.ok(logged.some((l) => l.includes("changing root's password")));
    assertNoSecret(logged, [FIRST, SECOND], "progress lines");
  });
});
