/**
 * The root password as a user sets it, `pulumi config set --secret --path auth.rootPassword`,
 * through create, a password change and a scale step after it, with the Pulumi CLI on the local
 * control plane: no password, old or new, may appear in clear in the stack file, the CLI's
 * output, `pulumi stack export` or the provider's own output. Control plane on 127.26.0.1.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { Etcd3 } from "etcd3";
import type { StackSettings } from "../pulumi/stack";
import { Scenario } from "./harness";

const PASSWORDS = ["first-Root-Pa55word", "second-Root-Pa55word"];
let scenario: Scenario;
/** Everything the CLI printed, across every command. */
const printed: string[] = [];

before(async () => {
  scenario = await Scenario.start({
    name: "secrets",
    host: "127.26.0.1",
    podNetwork: "127.26.1",
    settings: { auth: { enabled: true } },
    logProviderOutput: true,
  });
});

after(() => scenario?.stop());

/** Fails naming where a password showed up in clear. */
async function assertNowhereInClear(): Promise<void> {
  const places: Record<string, string> = {
    "the stack file": fs.readFileSync(scenario.stack.configFile, "utf8"),
    "the CLI's output": printed.join("\n"),
    "pulumi stack export": await scenario.stack.exportState(),
    "the provider's output": fs.readFileSync(scenario.providerLog, "utf8"),
  };
  for (const [where, text] of Object.entries(places))
    for (const password of PASSWORDS)
      assert.ok(!text.includes(password), `${where} shows a root password in clear`);
}

async function setPassword(password: string): Promise<void> {
  await scenario.stack.configSet("auth.rootPassword", password, { path: true, secret: true });
  assert.match(fs.readFileSync(scenario.stack.configFile, "utf8"), /rootPassword:\s+secure: v1:/);
}

/** Writes and reads a key as root with `password` on etcd-0. */
async function asRoot(password: string): Promise<void> {
  const podIP = scenario.kubernetes.kubelet.podIP(scenario.cluster.namespace, "etcd-0")!;
  const client = new Etcd3({ hosts: `http://${podIP}:2379`, auth: { username: "root", password } });
  try {
    await client.put("e2e/secrets").value(password.length.toString());
    assert.equal(await client.get("e2e/secrets").string(), password.length.toString());
  } finally {
    client.close();
  }
}

/** Every member a healthy voter, as the provider reported after the run (it authenticates). */
function assertVoters(outputs: Record<string, unknown>, size: number): void {
  const status = outputs.memberStatus as { role: string; healthy: boolean }[];
  assert.equal(status.length, size);
  assert.ok(
    status.every((m) => m.role === "voter" && m.healthy),
    JSON.stringify(status),
  );
}

const up = async (step: string, changes: StackSettings = {}) => {
  const result = await scenario.up(step, changes);
  printed.push(...result.log);
  return result;
};

test("create with auth on: the password is set as a secret and never shown", async () => {
  await setPassword(PASSWORDS[0]);
  const { outputs } = await up("create with size 1 and auth", { size: 1 });
  assertVoters(outputs, 1);
  await asRoot(PASSWORDS[0]);
  await assertNowhereInClear();
});

test("a password change, then a scale step authenticated with the new password", async () => {
  await setPassword(PASSWORDS[1]);
  await up("change the root password");
  const { outputs } = await up("1 → 3 after the change", { size: 3 });
  assertVoters(outputs, 3);
  await asRoot(PASSWORDS[1]);
  await assert.rejects(asRoot(PASSWORDS[0]), "the old password is refused");
  await assertNowhereInClear();
});
