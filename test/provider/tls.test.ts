/**
 * The provider over mutual TLS on etcd 3.5 processes (127.6.1.x), certificates made in the test:
 * create and scale 1→3→1→3 through the provider's methods, a safety snapshot before each change,
 * data readable on every member; etcd refuses a client without a certificate, a plain-http client
 * and a client that verifies the members against another name; no key material in inputs or outputs.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ClientTLS } from "../../providers/etcd/security";
import type { MembershipInputs } from "../../model/membership/inputs";
import type { MembershipOutputs } from "../../providers/membership/outputs";
import { DEFAULT_ADMIN_OPTIONS } from "../../providers/etcd/admin";
import { connectAdmin } from "../../providers/membership/session";
import { defragmentCluster } from "../../operations/defragment";
import { listSnapshots } from "../../providers/snapshots/store";
import { type DataClientTLS, type LocalCluster, dataClient } from "../harness/localCluster";
import { type LocalPki, localTlsCluster } from "../harness/localTls";
import { loggingProvider } from "./localProvider";

const PREFIX = "127.6.1";

describe("the provider over mutual TLS, etcd 3.5", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-tls-"));
  const snapshots = path.join(scratch, "snapshots");
  let pki: LocalPki;
  let c: LocalCluster;
  let tls: ClientTLS;
  let outs: MembershipOutputs;
  const written = new Map<string, string>();
  const logged: string[] = [];

  before(async () => {
    ({ pki, cluster: c, clientTLS: tls } = await localTlsCluster("tls", PREFIX, scratch));
  });
  after(async () => {
    await c?.dispose();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const provider = () => loggingProvider(c, logged);
  const args = {
    clusterName: "tls",
    namespace: "db",
    owner: "etcd-k8s/test/etcd",
    clusterDomain: "cluster.local",
    volumePolicy: "Delete" as const,
    access: "pod-ip" as const,
    tls: { clientSecret: "tls-client-tls" },
    snapshots: { directory: snapshots, keep: 10 },
  };
  const urls = (size: number) =>
    Array.from({ length: size }, (_, k) => `https://${c.workload.ip(k)}:2379`);
  const trusted = (): DataClientTLS => ({ credentials: tls, serverName: c.workload.serverName(0) });

  async function withClient<T>(
    hosts: string[],
    clientTls: DataClientTLS | undefined,
    use: (client: ReturnType<typeof dataClient>) => Promise<T>,
  ): Promise<T> {
    const client = dataClient(hosts, clientTls);
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  /** Writes a key through the cluster, then reads every key back from each member alone. */
  async function checkData(size: number, step: string): Promise<void> {
    await withClient(urls(size), trusted(), (client) =>
      client.put(`tls/${step}`).value(step).exec(),
    );
    written.set(`tls/${step}`, step);
    for (const url of urls(size)) {
      const seen = await withClient([url], trusted(), (client) =>
        client.getAll().prefix("tls/").strings(),
      );
      assert.deepEqual(seen, Object.fromEntries(written), `every key on ${url}`);
    }
  }

  /** `changes`: the step changes membership, so a safety snapshot comes first. */
  async function converge(size: number, step: string, changes = true): Promise<void> {
    const p = provider();
    const news = (await p.check!(outs ?? {}, { ...args, size })).inputs as MembershipInputs;
    const before = listSnapshots(snapshots, "tls").length;
    outs = outs ? (await p.update!("db/tls", outs, news)).outs : (await p.create!(news)).outs;
    assert.deepEqual(
      outs.memberStatus.map((m) => [m.name, m.peerURL, m.role, m.healthy]),
      Array.from({ length: size }, (_, k) => [
        `tls-${k}`,
        `https://${c.workload.ip(k)}:2380`,
        "voter",
        true,
      ]),
    );
    const taken = listSnapshots(snapshots, "tls").length - before;
    assert.equal(taken, changes ? 1 : 0, "a safety snapshot over TLS before a membership change");
    await checkData(size, step);
    console.log(`[tls] ${step}: ${size} member(s), ${written.size} keys on each`);
  }

  it("creates one member and scales 1→3→1→3 over TLS", async () => {
    await converge(1, "create", false);
    await converge(3, "1-3");
    await converge(1, "3-1");
    await converge(3, "1-3-again");
    assert.ok(logged.some((l) => l.includes("safety snapshot") && l.includes("verified")));
  });

  it("defragments every member over TLS, as `npm run defrag` does", async () => {
    const admin = await connectAdmin(c.workload, { admin: DEFAULT_ADMIN_OPTIONS });
    try {
      const done = await defragmentCluster(c.workload, admin, {
        log: () => {},
        healthBudget: { budgetMs: 30_000, initialDelayMs: 50, maxDelayMs: 1_000 },
      });
      assert.deepEqual(done.map((m) => m.name).sort(), ["tls-0", "tls-1", "tls-2"]);
    } finally {
      admin.close();
    }
  });

  it("keeps only the client Secret's name in its inputs and outputs, never key material", () => {
    const text = JSON.stringify(outs);
    assert.deepEqual(outs.tls, { clientSecret: "tls-client-tls" });
    assert.doesNotMatch(text, /BEGIN|PRIVATE KEY/);
    assert.doesNotMatch(text, new RegExp(pki.client.key.split("\n")[1].slice(0, 40)));
  });

  it("etcd refuses a client without a certificate (mutual TLS)", async () => {
    await assert.rejects(
      withClient(
        [urls(1)[0]],
        { credentials: { ca: tls.ca }, serverName: c.workload.serverName(0) },
        (client) => client.get("tls/create").string(),
      ),
      /certificate required/,
    );
  });

  it("refuses a server that does not carry the expected name", async () => {
    await assert.rejects(
      withClient(
        [urls(1)[0]],
        { credentials: tls, serverName: "etcd-0.elsewhere.test" },
        (client) => client.get("tls/create").string(),
      ),
      /ERR_TLS_CERT_ALTNAME_INVALID.*etcd-0\.elsewhere\.test/,
    );
    // Without the override the address is checked, which the server certificate does not name.
    await assert.rejects(
      withClient([urls(1)[0]], { credentials: tls }, (client) => client.get("tls/create").string()),
      /ERR_TLS_CERT_ALTNAME_INVALID.*127\.6\.1\.1/,
    );
  });

  it("refuses plain http on the client port", async () => {
    await assert.rejects(
      withClient([`http://${c.workload.ip(0)}:2379`], undefined, (client) =>
        client.get("tls/create").string(),
      ),
      /UNAVAILABLE: No connection established/,
    );
  });
});
