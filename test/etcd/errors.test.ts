import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyFailure } from "../../providers/etcd/errors";
import { decimalId, hexId } from "../../providers/etcd/ids";

describe("classifyFailure", () => {
  it("retries the refusals etcd documents as temporary", () => {
    for (const message of [
      "14 UNAVAILABLE: etcdserver: unhealthy cluster",
      "9 FAILED_PRECONDITION: etcdserver: can only promote a learner member which is in sync with leader",
      "2 UNKNOWN: etcdserver: re-configuration failed due to not enough started members",
      "14 UNAVAILABLE: etcdserver: leader changed",
      "14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.10.9:2379",
    ])
      assert.equal(classifyFailure(new Error(message)), "transient", message);
  });

  it("treats timeouts as an unknown outcome, to be checked against the member list", () => {
    assert.equal(
      classifyFailure(new Error("4 DEADLINE_EXCEEDED: Deadline exceeded")),
      "unknown-outcome",
    );
    assert.equal(
      classifyFailure(new Error("14 UNAVAILABLE: etcdserver: request timed out")),
      "unknown-outcome",
    );
  });

  it("never retries anything else", () => {
    for (const message of [
      "9 FAILED_PRECONDITION: etcdserver: too many learner members in cluster",
      "9 FAILED_PRECONDITION: etcdserver: Peer URLs already exists",
      "5 NOT_FOUND: etcdserver: member not found",
      "9 FAILED_PRECONDITION: etcdserver: not leader",
    ])
      assert.equal(classifyFailure(new Error(message)), "final", message);
  });
});

describe("member IDs", () => {
  it("convert between etcd3's decimal strings and etcdctl's hex", () => {
    assert.equal(hexId("13266965274680475999"), "b81dbaa03cc5c15f");
    assert.equal(decimalId("b81dbaa03cc5c15f"), "13266965274680475999");
  });
});
