/**
 * Authentication through the provider on etcd 3.4 processes (127.8.1.x): created with a root
 * password, grown through a learner with authentication on, password changed.
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
  tryWrite,
} from "./authScenario";

const FIRST = "first-root-pass-34";
const SECOND = "second-root-pass-34";

describe("authentication through the provider on etcd 3.4", () => {
  const c: LocalCluster = localCluster("auth34", "127.8.1", "3.4");
  const logged: string[] = [];
  const { provider, inputs } = authProvider(c, logged);
  let outs: MembershipOutputs;
  after(() => c.dispose());

  it("creates with authentication, grows through a learner, changes the password", async () => {
    outs = (await provider.create!(await inputs({}, 1, FIRST))).outs;
    assert.match(await tryWrite(c), REFUSED_WITHOUT_USER);
    assert.equal(await tryWrite(c, FIRST), "ok");
    outs = (await provider.update!("db/auth34", outs, await inputs(outs, 2, FIRST))).outs;
    assert.deepEqual(outs.members, ["auth34-0", "auth34-1"]);
    assert.equal(outs.liveSize, 2);
    outs = (await provider.update!("db/auth34", outs, await inputs(outs, 2, SECOND))).outs;
    assert.match(await tryWrite(c, FIRST), REFUSED_PASSWORD);
    assert.equal(await tryWrite(c, SECOND), "ok");
    assertNoSecret(logged, [FIRST, SECOND], "progress lines");
  });
});
