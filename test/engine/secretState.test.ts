/**
 * The root password at the engine boundary, on etcd 3.5 processes (127.8.2.x): registered as a
 * secret, handed to the real dynamic-provider process in clear (it does not accept secrets), never
 * in the serialized provider, never in clear in the recorded state, and never in its output.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { serializedProvider } from "../provider/localProvider";
import { DynamicResourceEngine } from "./engine";
import { ProviderProcess } from "./providerProcess";
import { SECRET_SIGNATURE, SIGNATURE_KEY } from "./secretState";

const URN =
  "urn:pulumi:prod::etcd-k8s::etcd-k8s:index:EtcdCluster$pulumi-nodejs:dynamic/etcd:Membership::sec-membership";
const PASSWORD = "engine-root-password-1";
const ROTATED = "engine-root-password-2";

describe("the root password at the engine boundary", () => {
  let cluster: LocalCluster;
  let provider: ProviderProcess;
  let engine: DynamicResourceEngine;
  let serialized: string;
  let statePath: string;
  const registered = (password: string) => ({
    __provider: serialized,
    clusterName: "sec",
    namespace: "db",
    owner: "etcd-k8s/test/etcd",
    clusterDomain: "cluster.local",
    size: 1,
    volumePolicy: "Delete",
    access: "pod-ip",
    rootPassword: { [SIGNATURE_KEY]: SECRET_SIGNATURE, value: password },
  });

  before(async () => {
    cluster = localCluster("sec", "127.8.2", "3.5");
    serialized = (await serializedProvider(cluster)).text;
    provider = await ProviderProcess.start();
    await provider.configure({});
    statePath = `${cluster.options.root}/state.json`;
    engine = new DynamicResourceEngine(provider, URN, statePath, ["kubeconfig", "rootPassword"]);
  });

  after(async () => {
    await provider?.stop();
    await cluster?.dispose();
  });

  it("keeps the password out of the serialized provider", () => {
    assert.ok(!serialized.includes(PASSWORD));
  });

  it("creates and changes the password, recording it only encrypted", async () => {
    const created = await engine.up(registered(PASSWORD));
    assert.equal(created.operation, "create");
    assert.equal(created.outputs.rootPassword, PASSWORD, "the provider answers in clear");
    const stored = fs.readFileSync(statePath, "utf8");
    assert.ok(!stored.includes(PASSWORD), "no password in clear in the recorded state");
    const record = JSON.parse(stored) as { outputs: Record<string, Record<string, string>> };
    assert.equal(record.outputs.rootPassword[SIGNATURE_KEY], SECRET_SIGNATURE);
    assert.equal(engine.state()?.outputs.rootPassword, PASSWORD, "decrypted for the next run");

    const updated = await engine.up(registered(ROTATED));
    assert.equal(updated.operation, "update", "olds carried the previous password to update");
    const rotated = fs.readFileSync(statePath, "utf8");
    assert.ok(!rotated.includes(PASSWORD) && !rotated.includes(ROTATED));
    await engine.destroy();
  });

  it("prints no password in the provider process's output", () => {
    assert.ok(provider.output.some((l) => l.includes("changing root's password")));
    assert.ok(!provider.output.some((l) => l.includes(PASSWORD) || l.includes(ROTATED)));
  });
});
