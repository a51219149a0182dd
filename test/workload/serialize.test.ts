import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { MembershipArgs } from "../../model/membership/inputs";
import { createKubernetesWorkload } from "../../providers/kubernetes/kubernetesWorkload";
import { loadSerialized } from "./loadSerialized";
import { offlineArgs } from "./offlineArgs";

/** Shaped like the membership provider: it builds the workload inside its methods, from inputs. */
const provider = {
  async read(_id: string, props: MembershipArgs) {
    const workload = createKubernetesWorkload(props);
    try {
      return { id: workload.describe(), props: { member: workload.slot(1) } };
    } finally {
      await workload.close();
    }
  },
};

describe("serialization by Pulumi", () => {
  it("createKubernetesWorkload alone serializes, requiring client-node instead of inlining it", async () => {
    const { text } = await pulumi.runtime.serializeFunction(() => createKubernetesWorkload, {
      allowSecrets: true,
    });
    assert.match(text, /require\("@kubernetes\/client-node"\)/);
    assert.match(text, /require\("cockatiel"\)/);
    assert.doesNotMatch(text, /class KubeConfig/);
  });

  it("a provider calling it serializes and runs once loaded the way the dynamic-provider host loads it", async () => {
    const loaded = await loadSerialized(provider);
    assert.deepEqual(await loaded.read("", offlineArgs()), {
      id: "StatefulSet db/etcd",
      props: {
        member: {
          ordinal: 1,
          name: "etcd-1",
          peerURL: "http://etcd-1.etcd-peer.db.svc.cluster.local:2380",
        },
      },
    });
  });
});
