import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { initialClusterToken } from "../../components/builders/clusterToken";

const scope = { project: "etcd-k8s", stack: "prod", namespace: "etcd", clusterName: "etcd" };

describe("the initial cluster token", () => {
  it("is the same on every run", () => {
    assert.equal(initialClusterToken(scope), initialClusterToken({ ...scope }));
    assert.match(initialClusterToken(scope), /^etcd-[0-9a-f]{16}$/);
  });

  it("differs when the project, stack, namespace or cluster differs", () => {
    const tokens = new Set([
      initialClusterToken(scope),
      initialClusterToken({ ...scope, project: "other" }),
      initialClusterToken({ ...scope, stack: "dev" }),
      initialClusterToken({ ...scope, namespace: "etcd2" }),
      initialClusterToken({ ...scope, clusterName: "etcd2" }),
      // Joining the parts naively would make these two equal.
      initialClusterToken({ ...scope, stack: "prod/etcd", namespace: "x" }),
      initialClusterToken({ ...scope, stack: "prod", namespace: "etcd/x" }),
    ]);
    assert.equal(tokens.size, 7);
  });
});
