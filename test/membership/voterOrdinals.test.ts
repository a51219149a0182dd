/** Which members an add may be sent to: the voters that answered as members of this cluster. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { voterOrdinals } from "../../providers/membership/observe";
import { cluster, statusAt, unreachable } from "./observations";

describe("voterOrdinals", () => {
  it("lists every voter that answered, whoever leads", () => {
    assert.deepEqual(voterOrdinals(cluster(3, { leader: 2 })), [0, 1, 2]);
  });

  it("leaves out a learner, started or not", () => {
    const started = cluster(3, { learner: { ordinal: 3, started: true } });
    assert.deepEqual(voterOrdinals(started), [0, 1, 2]);
    assert.deepEqual(voterOrdinals(cluster(1, { learner: { ordinal: 1, started: false } })), [0]);
  });

  it("leaves out a member that did not answer", () => {
    const o = cluster(3);
    o.statuses[1] = { ordinal: 1, ok: false, error: "connect ECONNREFUSED" };
    assert.deepEqual(voterOrdinals(o), [0, 2]);
  });

  it("leaves out an answer from another cluster or from a member the list does not have", () => {
    const o = cluster(3);
    o.statuses[1] = statusAt(1, 0, { clusterId: "0ther0ther0ther0" });
    o.statuses[2] = statusAt(2, 0, { memberId: "dddddddddddddddd" });
    assert.deepEqual(voterOrdinals(o), [0]);
  });

  it("is empty when no member answered the member list", () => {
    assert.deepEqual(voterOrdinals(unreachable()), []);
  });
});
