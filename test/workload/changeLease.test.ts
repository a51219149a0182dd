/**
 * The membership lease as a Kubernetes Lease, against a real kube-apiserver (test/e2e control
 * plane on 127.2.9.1): the object it writes, waiting and refusing, release, takeover of a holder
 * that stopped renewing (frozen in this process, or a process killed with SIGKILL), clients racing
 * for it, renewals, a deleted Lease, and Pulumi serialization.
 *
 * Timers are never assumed to fire on time: tests wait for states, with generous bounds.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterIdentity } from "../../model/naming";
import {
  changeLease,
  type HeldLease,
  isLeaseLost,
  type LeaseOptions,
} from "../../providers/membership/lease";
import {
  kubernetesChangeLease,
  kubernetesLeaseStore,
} from "../../providers/kubernetes/changeLease";
import { connectKube } from "../../providers/kubernetes/kubeconfig";
import { startControlPlane, type ControlPlane } from "../e2e/controlPlane";
import { loadSerialized } from "./loadSerialized";
import { escapeRegExp, freezable } from "../support/freezableStore";

const NAMESPACE = "db";
const DURATION_MS = 3_000;
const HOLD: LeaseOptions = { durationMs: DURATION_MS, waitMs: 0 };
const DIST = path.join(__dirname, "..", "..");

let plane: ControlPlane;
let clusters = 0;

before(async () => {
  plane = await startControlPlane({ host: "127.2.9.1" });
  const { core } = connectKube(newCluster(), plane.kubeconfig);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
});

after(() => plane?.stop());

/** Each test its own cluster name, so its own Lease. */
function newCluster(): ClusterIdentity {
  clusters += 1;
  return { name: `etcd${clusters}`, namespace: NAMESPACE, clusterDomain: "cluster.local" };
}

/** A separate client (own KubeConfig and connections), as another run would have. */
const client = (cluster: ClusterIdentity) => connectKube(cluster, plane.kubeconfig);
const leaseOf = (cluster: ClusterIdentity) => kubernetesChangeLease(client(cluster));
const storeOf = (cluster: ClusterIdentity) => kubernetesLeaseStore(client(cluster));

function readLeaseObject(cluster: ClusterIdentity): Promise<k8s.V1Lease> {
  const api = client(cluster).kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  return api.readNamespacedLease({ name: `${cluster.name}-membership`, namespace: NAMESPACE });
}

async function lostWithin(held: HeldLease, timeoutMs: number): Promise<Error> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      held.ensureHeld();
    } catch (error) {
      return error as Error;
    }
    if (performance.now() > deadline) throw new Error(`still held after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Acquires in a separate node process, reports on stdout, and holds until killed. */
const HOLDER_SCRIPT = `
const { connectKube } = require(process.env.DIST + "/providers/kubernetes/kubeconfig.js");
const { kubernetesChangeLease } = require(process.env.DIST + "/providers/kubernetes/changeLease.js");
const { cluster, kubeconfig, durationMs } = JSON.parse(process.env.HOLDER);
setTimeout(() => process.exit(3), 120000).unref();
kubernetesChangeLease(connectKube(cluster, kubeconfig))
  .acquire("killed run", { durationMs, waitMs: 0 })
  .then(() => {
    process.stdout.write("held\\n");
    setInterval(() => {}, 60000);
  }, (error) => {
    process.stdout.write("failed: " + error.message + "\\n");
    process.exit(1);
  });
`;

describe("the membership Lease on Kubernetes", () => {
  it("is created for its holder with whole-second duration and microsecond times, and released", async () => {
    const cluster = newCluster();
    const lease = leaseOf(cluster);
    assert.equal(lease.describe(), `Lease db/${cluster.name}-membership`);
    const held = await lease.acquire("run A", { durationMs: 2_500, waitMs: 0 });
    held.ensureHeld();
    const object = await readLeaseObject(cluster);
    assert.equal(
      object.metadata?.labels?.["app.kubernetes.io/managed-by"],
      "etcd-k8s-membership-provider",
    );
    assert.equal(object.spec?.holderIdentity, "run A");
    assert.equal(object.spec?.leaseDurationSeconds, 3);
    assert.equal(object.spec?.leaseTransitions, 0);
    // client-node 2.0.1 types MicroTime as a Date but returns the server's text.
    assert.equal(typeof object.spec?.renewTime, "string");
    assert.match(String(object.spec?.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(String(object.spec?.acquireTime), /\.\d{6}Z$/);
    const record = await storeOf(cluster).read();
    assert.equal(record?.durationMs, 3_000);
    assert.equal(record?.renewTime, object.spec?.renewTime);

    await held.release();
    assert.equal((await storeOf(cluster).read())?.holder, "");
    assert.throws(() => held.ensureHeld(), { name: "MembershipLeaseLost", message: /released/ });
  });

  it("makes a second run wait waitMs, then refuse naming the holder, its renewal and the Lease", async () => {
    const cluster = newCluster();
    const held = await leaseOf(cluster).acquire("run A", HOLD);
    const started = performance.now();
    const refusal = await leaseOf(cluster)
      .acquire("run B", { durationMs: DURATION_MS, waitMs: 1_500 })
      .then(
        () => assert.fail("run B acquired a held lease"),
        (error: Error) => error,
      );
    const waited = performance.now() - started;
    assert.equal(refusal.name, "MembershipLeaseBusy");
    assert.match(
      refusal.message,
      new RegExp(
        `^the membership of StatefulSet db/${cluster.name} is being changed by run A \\(${escapeRegExp(`Lease db/${cluster.name}-membership`)}, renewed \\d{4}-\\d\\d-\\d\\dT[\\d:]+\\.\\d{6}Z\\); waited [\\d.]+ s\\. If that run is dead, its lease expires 3 s after its last renewal; rerun then\\.$`,
      ),
    );
    assert.ok(waited >= 1_500 && waited < 1_500 + 20_000, `waited ${waited} ms`);
    held.ensureHeld();
    await held.release();
  });

  it("lets a waiting run in once the holder releases", async () => {
    const cluster = newCluster();
    const first = await leaseOf(cluster).acquire("run A", HOLD);
    let secondHeld = false;
    const second = leaseOf(cluster).acquire("run B", { durationMs: DURATION_MS, waitMs: 60_000 });
    void second.then(() => (secondHeld = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(secondHeld, false);
    await first.release();
    const held = await second;
    const object = await readLeaseObject(cluster);
    assert.equal(object.spec?.holderIdentity, "run B");
    assert.equal(object.spec?.leaseTransitions, 1);
    held.ensureHeld();
    await held.release();
  });

  it("takes over from a holder that stopped renewing after its duration; the old holder then knows", async () => {
    const cluster = newCluster();
    const frozen = freezable(storeOf(cluster));
    const old = await changeLease(frozen.store).acquire("run A", HOLD);
    frozen.freeze();
    const started = performance.now();
    const taker = await leaseOf(cluster).acquire("run B", {
      durationMs: DURATION_MS,
      waitMs: 60_000,
    });
    const waited = performance.now() - started;
    assert.ok(waited >= DURATION_MS, `took over after ${waited} ms`);
    assert.throws(() => old.ensureHeld(), {
      name: "MembershipLeaseLost",
      message: new RegExp(
        `^the lease on the membership of StatefulSet db/${cluster.name} \\(Lease db/${cluster.name}-membership\\) is no longer held by this run: not renewed for [\\d.]+ s \\(its duration is 3 s\\)`,
      ),
    });
    frozen.thaw();
    await old.release();
    const object = await readLeaseObject(cluster);
    assert.equal(object.spec?.holderIdentity, "run B", "the old holder's release left it alone");
    assert.equal(object.spec?.leaseTransitions, 1);
    taker.ensureHeld();
    await taker.release();
  });

  it("takes over from a holder process killed with SIGKILL", async () => {
    const cluster = newCluster();
    const holder = spawn(process.execPath, ["-e", HOLDER_SCRIPT], {
      env: {
        ...process.env,
        DIST,
        HOLDER: JSON.stringify({ cluster, kubeconfig: plane.kubeconfig, durationMs: DURATION_MS }),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve) =>
        readline.createInterface({ input: holder.stdout }).once("line", resolve),
      );
      assert.equal(line, "held");
    } finally {
      holder.kill("SIGKILL");
    }
    const started = performance.now();
    const taker = await leaseOf(cluster).acquire("run B", {
      durationMs: DURATION_MS,
      waitMs: 60_000,
    });
    assert.ok(performance.now() - started >= DURATION_MS);
    const object = await readLeaseObject(cluster);
    assert.equal(object.spec?.holderIdentity, "run B");
    assert.equal(object.spec?.leaseTransitions, 1);
    await taker.release();
  });

  for (const round of [1, 2, 3]) {
    it(`two clients acquiring at once: exactly one wins, the other names it (round ${round})`, async () => {
      const cluster = newCluster();
      const [a, b] = [leaseOf(cluster), leaseOf(cluster)];
      const options = { durationMs: DURATION_MS, waitMs: 1_000 };
      const results = await Promise.allSettled([
        a.acquire("run A", options),
        b.acquire("run B", options),
      ]);
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
      const winner = ["run A", "run B"][won[0]];
      const lost = results[1 - won[0]] as PromiseRejectedResult;
      assert.equal((lost.reason as Error).name, "MembershipLeaseBusy");
      assert.ok((lost.reason as Error).message.includes(`being changed by ${winner} `));
      assert.equal((await readLeaseObject(cluster)).spec?.holderIdentity, winner);
      await (results[won[0]] as PromiseFulfilledResult<HeldLease>).value.release();
    });
  }

  it("keeps the lease well past its duration by renewing it", async () => {
    const cluster = newCluster();
    const held = await leaseOf(cluster).acquire("run A", HOLD);
    const first = await readLeaseObject(cluster);
    await assert.rejects(
      leaseOf(cluster).acquire("run B", { durationMs: DURATION_MS, waitMs: 7_000 }),
      { name: "MembershipLeaseBusy" },
    );
    held.ensureHeld();
    const later = await readLeaseObject(cluster);
    assert.equal(later.spec?.holderIdentity, "run A");
    assert.notEqual(later.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.ok(String(later.spec?.renewTime) > String(first.spec?.renewTime));
    assert.equal(later.spec?.acquireTime, first.spec?.acquireTime);
    await held.release();
  });

  it("a holder whose Lease is deleted knows at its next renewal", async () => {
    const cluster = newCluster();
    // Long enough that a renewal, not the expiry, notices first.
    const held = await leaseOf(cluster).acquire("run A", { durationMs: 15_000, waitMs: 0 });
    const api = client(cluster).kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    await api.deleteNamespacedLease({ name: `${cluster.name}-membership`, namespace: NAMESPACE });
    const error = await lostWithin(held, 30_000);
    assert.ok(isLeaseLost(error));
    assert.match(error.message, new RegExp(`: Lease db/${cluster.name}-membership was deleted\\.`));
    await held.release();
  });

  it("serializes with the provider and works once loaded as the dynamic-provider host loads it", async () => {
    const cluster = newCluster();
    const kubeconfig = plane.kubeconfig;
    const provider = {
      async run() {
        const lease = kubernetesChangeLease(connectKube(cluster, kubeconfig));
        const held = await lease.acquire("serialized run", { durationMs: 3_000, waitMs: 0 });
        held.ensureHeld();
        await held.release();
        return lease.describe();
      },
    };
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    assert.match(text, /require\("@kubernetes\/client-node"\)/);
    assert.doesNotMatch(text, /class KubeConfig/);
    const loaded = await loadSerialized(provider);
    assert.equal(await loaded.run(), `Lease db/${cluster.name}-membership`);
    assert.equal((await readLeaseObject(cluster)).spec?.leaseTransitions, 0);
  });
});
