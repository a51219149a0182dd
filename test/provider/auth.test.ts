/**
 * etcd authentication through the provider on etcd 3.5 processes (127.8.0.x): a cluster created
 * with a root password, scaled with authentication on, its password changed (also after a run that
 * was stopped midway), a wrong password refused, authentication turned off and on again; no
 * password in any progress line or error.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { MembershipOutputs } from "../../providers/membership/outputs";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import {
  REFUSED_PASSWORD,
  REFUSED_WITHOUT_USER,
  assertNoSecret,
  authProvider,
  client,
  tryWrite,
} from "./authScenario";

const PASSWORDS = {
  first: "first-root-pass-1",
  second: "second-root-pass-2",
  third: "third-root-pass-3",
  fourth: "fourth-root-pass-4",
  wrong: "wrong-root-pass-5",
  wrongOld: "wrong-root-pass-6",
};
const ID = "db/auth";

describe("authentication through the provider on etcd 3.5", () => {
  const c: LocalCluster = localCluster("auth", "127.8.0", "3.5");
  const logged: string[] = [];
  const errors: string[] = [];
  const { provider, inputs } = authProvider(c, logged);
  let outs: MembershipOutputs;
  const update = async (size: number, password?: string, olds: MembershipOutputs = outs) => {
    outs = (await provider.update!(ID, olds, await inputs(olds, size, password))).outs;
  };
  after(() => c.dispose());

  it("create enables authentication after the bootstrap: no user refused, root accepted", async () => {
    const created = await provider.create!(await inputs({}, 1, PASSWORDS.first));
    outs = created.outs;
    assert.equal(outs.rootPassword, PASSWORDS.first, "kept for the next change of password");
    assert.equal(outs.liveSize, 1);
    assert.match(await tryWrite(c), REFUSED_WITHOUT_USER);
    assert.match(await tryWrite(c, PASSWORDS.wrong), REFUSED_PASSWORD);
    assert.equal(await tryWrite(c, PASSWORDS.first), "ok");
    assert.equal(logged.filter((l) => l.includes("enabling authentication")).length, 1);
    const bootstrap = logged.findIndex((l) => l.includes("auth-0: scale to 1 replica"));
    const enabling = logged.findIndex((l) => l.includes("enabling authentication"));
    assert.ok(bootstrap >= 0 && bootstrap < enabling, "enabled once the first member is up");
  });

  it("scales 1→3→1 with authentication on", async () => {
    await update(3, PASSWORDS.first);
    assert.equal(outs.liveSize, 3);
    assert.ok(outs.latestSnapshot && outs.latestSnapshot.bytes > 0, "a safety snapshot as root");
    assert.deepEqual(outs.members, ["auth-0", "auth-1", "auth-2"]);
    await update(1, PASSWORDS.first);
    assert.equal(outs.liveSize, 1);
    assert.equal(await tryWrite(c, PASSWORDS.first), "ok");
    assert.match(await tryWrite(c), REFUSED_WITHOUT_USER);
  });

  it("read (refresh) authenticates with the recorded password", async () => {
    const read = await provider.read!(ID, outs);
    assert.equal(read.props?.liveSize, 1);
    assert.equal(read.props?.rootPassword, PASSWORDS.first);
  });

  it("changes root's password: the old one no longer works, the new one does", async () => {
    const diff = await provider.diff!(ID, outs, await inputs(outs, 1, PASSWORDS.second));
    assert.equal(diff.changes, true, "a new password is a change");
    await update(1, PASSWORDS.second);
    assert.match(await tryWrite(c, PASSWORDS.first), REFUSED_PASSWORD);
    assert.equal(await tryWrite(c, PASSWORDS.second), "ok");
    assert.equal(logged.filter((l) => l.includes("changing root's password")).length, 1);
  });

  it("finishes a change of password that a stopped run had already made in etcd", async () => {
    // The run changed the password, then stopped before the engine recorded its outputs.
    const asRoot = client(c, PASSWORDS.second);
    await asRoot.auth.userChangePassword({ name: "root", password: PASSWORDS.third });
    asRoot.close();
    await update(1, PASSWORDS.third);
    assert.equal(outs.rootPassword, PASSWORDS.third);
    assert.equal(await tryWrite(c, PASSWORDS.third), "ok");
    assert.equal(logged.filter((l) => l.includes("changing root's password")).length, 1);
  });

  it("refuses a password etcd does not accept, naming the key, without the value", async () => {
    const stale = { ...outs, rootPassword: PASSWORDS.wrongOld };
    await assert.rejects(update(1, PASSWORDS.wrong, stale), (e: Error) => {
      errors.push(e.message, e.stack ?? "");
      assert.equal(e.name, "MembershipRefusal");
      assert.match(e.message, /refuses the password in auth\.rootPassword for user root/);
      assert.match(e.message, /pulumi config set --secret --path auth\.rootPassword <password>/);
      return true;
    });
    assert.equal(await tryWrite(c, PASSWORDS.third), "ok", "nothing changed");
  });

  it("turns authentication off with root's password, and on again on the existing cluster", async () => {
    await update(1);
    assert.equal(outs.rootPassword, undefined);
    assert.equal(await tryWrite(c), "ok");
    assert.equal(logged.filter((l) => l.includes("disabling authentication")).length, 1);
    // User root still exists from before, with another password: enabling gives it the new one.
    await update(1, PASSWORDS.fourth);
    assert.match(await tryWrite(c), REFUSED_WITHOUT_USER);
    assert.equal(await tryWrite(c, PASSWORDS.fourth), "ok");
    assert.match(await tryWrite(c, PASSWORDS.third), REFUSED_PASSWORD);
    assert.equal(logged.filter((l) => l.includes("enabling authentication")).length, 2);
  });

  it("never prints a password in a progress line or an error", () => {
    assert.ok(logged.length > 10, "the runs reported their progress");
    assertNoSecret([...logged, ...errors], Object.values(PASSWORDS), "progress lines and errors");
  });
});
