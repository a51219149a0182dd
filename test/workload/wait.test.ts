import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitUntil } from "../../providers/kubernetes/wait";

const limits = { initialDelayMs: 1, maxDelayMs: 5, totalMs: 200 };

describe("waitUntil", () => {
  it("polls until nothing is pending any more", async () => {
    let calls = 0;
    await waitUntil(
      "delete PVC",
      async () => (++calls < 4 ? `still there (${calls})` : undefined),
      limits,
    );
    assert.equal(calls, 4);
  });

  it("gives up after its total time, naming what it waited for and the last pending state", async () => {
    await assert.rejects(
      waitUntil(
        "delete PersistentVolumeClaim db/data-etcd-2",
        async () => "it still exists",
        limits,
      ),
      {
        message:
          "delete PersistentVolumeClaim db/data-etcd-2: gave up after 200 ms: it still exists",
      },
    );
  });
});
