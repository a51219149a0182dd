/** check and diff of the membership provider: validation with exact messages, planned change, no I/O. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MembershipArgs } from "../../model/membership/inputs";
import { createMembershipProvider } from "../../providers/membership/provider";
import { UNKNOWN } from "../../model/membership/unknown";

const workloadsMade: MembershipArgs[] = [];
/** check and diff must not reach any workload: every call to the factory is recorded and fails. */
const provider = createMembershipProvider((args) => {
  workloadsMade.push(args);
  throw new Error("check and diff must not touch the workload");
});
const check = provider.check!.bind(provider);
const diff = provider.diff!.bind(provider);

const valid = {
  clusterName: "etcd",
  namespace: "db",
  owner: "etcd-k8s/prod/etcd",
  clusterDomain: "cluster.local",
  size: 3,
  volumePolicy: "Delete",
  access: "pod-ip",
};

const SIZE_RULE =
  "must be a whole number from 1 to 9 (odd sizes tolerate the most failures per member)";
const LABEL_RULE = (max: number) =>
  `must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters`;
const TEMPLATE_EXAMPLE = 'e.g. "https://{name}.etcd.example.com:2379"';

const badInputs: Array<[string, Record<string, unknown>, string, string]> = [
  ["size 0", { size: 0 }, "size", `size: 0 is not allowed; ${SIZE_RULE}`],
  ["negative size", { size: -1 }, "size", `size: -1 is not allowed; ${SIZE_RULE}`],
  ["fractional size", { size: 1.5 }, "size", `size: 1.5 is not allowed; ${SIZE_RULE}`],
  ["size as a string", { size: "3" }, "size", `size: "3" is not allowed; ${SIZE_RULE}`],
  ["size 10", { size: 10 }, "size", `size: 10 is not allowed; ${SIZE_RULE}`],
  ["size NaN", { size: NaN }, "size", `size: NaN is not allowed; ${SIZE_RULE}`],
  ["size null", { size: null }, "size", `size: null is not allowed; ${SIZE_RULE}`],
  ["missing size", { size: undefined }, "size", `size: (missing) is not allowed; ${SIZE_RULE}`],
  [
    "unknown volume policy",
    { volumePolicy: "Recycle" },
    "volumePolicy",
    'volumePolicy: "Recycle" is not allowed; must be one of "Delete", "Retain"',
  ],
  [
    "invalid cluster name",
    { clusterName: "Etcd_1" },
    "clusterName",
    `clusterName: "Etcd_1" is not allowed; ${LABEL_RULE(52)}`,
  ],
  [
    "cluster name over 52 characters",
    { clusterName: "e".repeat(53) },
    "clusterName",
    `clusterName: "${"e".repeat(53)}" is not allowed; ${LABEL_RULE(52)}`,
  ],
  [
    "invalid namespace",
    { namespace: "-db" },
    "namespace",
    `namespace: "-db" is not allowed; ${LABEL_RULE(63)}`,
  ],
  [
    "invalid cluster domain",
    { clusterDomain: "Cluster..local" },
    "clusterDomain",
    `clusterDomain: "Cluster..local" is not allowed; must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters`,
  ],
  [
    "bad access mode",
    { access: "nodeport" },
    "access",
    'access: "nodeport" is not allowed; must be one of "port-forward", "pod-ip", "endpoints"',
  ],
  [
    "endpoints without a template",
    { access: "endpoints" },
    "endpointTemplate",
    `endpointTemplate: (missing) is not allowed; must be an http:// or https:// client URL containing {ordinal} or {name}, ${TEMPLATE_EXAMPLE}; required when access is "endpoints"`,
  ],
  [
    "template without a placeholder",
    { access: "endpoints", endpointTemplate: "https://etcd.example.com:2379" },
    "endpointTemplate",
    `endpointTemplate: "https://etcd.example.com:2379" is not allowed; must be an http:// or https:// client URL containing {ordinal} or {name}, ${TEMPLATE_EXAMPLE}; required when access is "endpoints"`,
  ],
  [
    "empty kubeconfig",
    { kubeconfig: " " },
    "kubeconfig",
    'kubeconfig: "(redacted)" is not allowed; must be the text of a kubeconfig file, or left out',
  ],
];

describe("provider check: bad inputs are refused with the shared rules' exact messages", () => {
  for (const [label, change, property, reason] of badInputs)
    it(`refuses ${label}`, async () => {
      const news = { ...valid, ...change };
      const result = await check({}, news);
      assert.deepEqual(result.failures, [{ property, reason }]);
      assert.deepEqual(result.inputs, news, "inputs come back unchanged, with no plan");
    });

  it("reports every bad value at once", async () => {
    const result = await check({}, { ...valid, size: 0, volumePolicy: "x", namespace: "" });
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["namespace", "size", "volumePolicy"],
    );
  });
});

describe("provider check: the planned change as inputs", () => {
  it("plans a create from nothing", async () => {
    const { inputs, failures } = await check({}, valid);
    assert.equal(failures, undefined);
    assert.deepEqual(inputs, {
      ...valid,
      members: ["etcd-0", "etcd-1", "etcd-2"],
      plan: "bootstrap etcd-0, then add etcd-1, etcd-2 as learners one at a time, promoting each",
    });
  });

  it("plans a change against the old size", async () => {
    const olds = { ...valid, members: ["etcd-0", "etcd-1", "etcd-2"], plan: "old" };
    assert.equal(
      (await check(olds, { ...valid, size: 5 })).inputs.plan,
      "add etcd-3, etcd-4 as learners one at a time, promoting each",
    );
    assert.equal(
      (await check(olds, { ...valid, size: 1, volumePolicy: "Retain" })).inputs.plan,
      "remove etcd-2, then etcd-1 (leader moved first if needed) and keep their volumes until re-added",
    );
    assert.equal((await check(olds, valid)).inputs.plan, "no membership change");
  });

  it("plans a replacement (another cluster name) from nothing", async () => {
    const { inputs } = await check(valid, { ...valid, clusterName: "other" });
    assert.deepEqual(inputs.members, ["other-0", "other-1", "other-2"]);
    assert.match(inputs.plan, /^bootstrap other-0/);
  });

  it("plans the replacements asked for by member ID, before the size change", async () => {
    const olds = { ...valid, members: ["etcd-0", "etcd-1", "etcd-2"], plan: "old" };
    const { inputs, failures } = await check(olds, {
      ...valid,
      size: 5,
      replaceMembers: ["8e9e05c52164694d"],
    });
    assert.equal(failures, undefined);
    assert.equal(
      inputs.plan,
      "replace member 8e9e05c52164694d if still a member: remove it, discard its volume, add a new member at its ordinal as a learner on an empty volume and promote it; then add etcd-3, etcd-4 as learners one at a time, promoting each",
    );
  });

  it("refuses an owner or replaceMembers it cannot use, naming the value", async () => {
    const result = await check({}, { ...valid, owner: "", replaceMembers: ["etcd-2"] });
    assert.deepEqual(result.failures, [
      {
        property: "owner",
        reason:
          'owner: "" is not allowed; must name who manages the cluster, e.g. "etcd-k8s/prod/etcd" (1 to 253 characters)',
      },
      {
        property: "replaceMembers",
        reason:
          'replaceMembers: ["etcd-2"] is not allowed; must be a list of at most 9 distinct member IDs in lower-case hex, as the memberStatus output and etcdctl show them (e.g. ["8e9e05c52164694d"])',
      },
    ]);
  });

  it("leaves the plan unknown while the size is unknown in preview", async () => {
    const { inputs, failures } = await check(valid, { ...valid, size: UNKNOWN });
    assert.equal(failures, undefined);
    assert.equal(inputs.members, UNKNOWN);
    assert.equal(inputs.plan, UNKNOWN);
  });
});

describe("provider diff", () => {
  const olds = {
    ...valid,
    members: ["etcd-0", "etcd-1", "etcd-2"],
    plan: "x",
    __provider: "serialized-1",
    clusterId: "c",
    leader: "etcd-0",
    memberStatus: [],
    liveSize: 3,
  };

  it("changes when size or anything the provider acts on changes", async () => {
    for (const change of [
      { size: 5 },
      { volumePolicy: "Retain" },
      { access: "port-forward" },
      { access: "endpoints", endpointTemplate: "http://{name}:2379" },
      { kubeconfig: "apiVersion: v1" },
      { clusterDomain: "k8s.local" },
    ])
      assert.deepEqual(await diff("db/etcd", olds, { ...valid, ...change }), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
  });

  it("changes when a refresh found something to repair or refuse, and not once it is done", async () => {
    const repair = "etcd-1: remove member, to replace it";
    assert.equal((await diff("db/etcd", { ...olds, pendingChange: repair }, valid)).changes, true);
    assert.equal((await diff("db/etcd", { ...olds, pendingChange: null }, valid)).changes, false);
  });

  it("changes when the owner or the members to replace change", async () => {
    for (const change of [{ owner: "etcd-k8s/renamed/etcd" }, { replaceMembers: ["a1"] }])
      assert.equal((await diff("db/etcd", olds, { ...valid, ...change })).changes, true);
  });

  it("changes when a refresh found the StatefulSet scaled around the provider", async () => {
    assert.equal((await diff("db/etcd", { ...olds, replicas: 4 }, valid)).changes, true);
    assert.equal((await diff("db/etcd", { ...olds, replicas: 3 }, valid)).changes, false);
  });

  it("ignores the plan text, planned members and the serialized provider", async () => {
    const news = { ...valid, members: ["a"], plan: "y", __provider: "serialized-2" };
    assert.equal((await diff("db/etcd", olds, news)).changes, false);
  });

  it("replaces when the cluster identity changes", async () => {
    assert.deepEqual((await diff("db/etcd", olds, { ...valid, clusterName: "x" })).replaces, [
      "clusterName",
    ]);
    assert.deepEqual((await diff("db/etcd", olds, { ...valid, namespace: "y" })).replaces, [
      "namespace",
    ]);
  });

  it("never touched a workload in check or diff", () => {
    assert.deepEqual(workloadsMade, []);
  });
});

describe("check on settings fixed at creation", () => {
  const created = {
    ...valid,
    fixedAtCreation: { "storage.size": "1Gi", "storage.className": "ssd" },
  };

  it("refuses a changed volume size or class, naming the key, both values and why", async () => {
    const result = await check(created, {
      ...created,
      size: 5,
      fixedAtCreation: { "storage.size": "2Gi", "storage.className": "fast" },
    });
    assert.deepEqual(result.failures, [
      {
        property: "storage.size",
        reason:
          'storage.size: "2Gi" is not allowed; must stay "1Gi" on a running cluster: the StatefulSet\'s volume claim template is fixed at creation; resize the existing PVCs directly if their storage class allows expansion',
      },
      {
        property: "storage.className",
        reason:
          'storage.className: "fast" is not allowed; must stay "ssd" on a running cluster: the StatefulSet\'s volume claim template is fixed at creation; move to another class by creating a new cluster and restoring a snapshot into it',
      },
    ]);
  });

  it("accepts them unchanged, on a new cluster, and against state written before they existed", async () => {
    assert.deepEqual((await check(created, { ...created, size: 5 })).failures, undefined);
    const renamed = {
      ...created,
      clusterName: "etcd2",
      fixedAtCreation: { "storage.size": "2Gi" },
    };
    assert.deepEqual((await check(created, renamed)).failures, undefined);
    assert.deepEqual((await check(valid, created)).failures, undefined);
  });
});
