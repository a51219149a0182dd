import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { labelSelectorQuery, ordinalOf, podStateOf } from "../../providers/kubernetes/podState";

const container = (status: Partial<V1ContainerStatus>): V1ContainerStatus => ({
  name: "etcd",
  image: "registry.k8s.io/etcd:3.5.21-0",
  imageID: "",
  ready: false,
  restartCount: 0,
  ...status,
});

const pod = (status: V1Pod["status"], metadata: V1Pod["metadata"] = {}): V1Pod => ({
  metadata: { name: "etcd-2", namespace: "db", ...metadata },
  status,
});

const readyCondition = { type: "Ready", status: "True" };

describe("podStateOf", () => {
  it("a pod without status yet is waiting, not ready, with nothing to report", () => {
    assert.deepEqual(podStateOf(pod(undefined), 2), {
      ordinal: 2,
      name: "etcd-2",
      phase: "waiting",
      ready: false,
      restarts: 0,
      started: false,
      voterLabel: false,
    });
  });

  it("carries its creation time, whether its container ever ran, and the voter label", () => {
    const created = "2026-11-27T10:00:00Z";
    const state = podStateOf(
      pod(
        {
          phase: "Pending",
          containerStatuses: [
            container({
              restartCount: 0,
              state: { waiting: { reason: "CrashLoopBackOff" } },
              lastState: { terminated: { exitCode: 1 } },
            }),
          ],
        },
        {
          creationTimestamp: created as unknown as Date,
          labels: { "etcd-k8s.io/voter": "true" },
        },
      ),
      2,
    );
    assert.equal(state.createdAt, Date.parse(created));
    assert.equal(state.started, true, "it exited once: it ran");
    assert.equal(state.voterLabel, true);
  });

  it("an unschedulable pod reports the scheduler's reason", () => {
    const state = podStateOf(
      pod({
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/3 nodes are available: 3 Insufficient memory.",
          },
        ],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(
      state.lastTermination,
      "Unschedulable: 0/3 nodes are available: 3 Insufficient memory.",
    );
  });

  it("a container being created is waiting, and ContainerCreating is not a problem", () => {
    const state = podStateOf(
      pod({
        phase: "Pending",
        containerStatuses: [container({ state: { waiting: { reason: "ContainerCreating" } } })],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(state.lastTermination, undefined);
  });

  it("a running container with the Ready condition is running and ready", () => {
    const state = podStateOf(
      pod({
        phase: "Running",
        conditions: [readyCondition],
        containerStatuses: [
          container({ ready: true, state: { running: { startedAt: new Date() } } }),
        ],
      }),
      2,
    );
    assert.deepEqual(state, {
      ordinal: 2,
      name: "etcd-2",
      phase: "running",
      ready: true,
      restarts: 0,
      started: true,
      voterLabel: false,
    });
  });

  it("a running container that restarted reports its last exit with the log's last line", () => {
    const state = podStateOf(
      pod({
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [
          container({
            restartCount: 2,
            state: { running: {} },
            lastState: {
              terminated: {
                exitCode: 0,
                reason: "Completed",
                message:
                  '{"level":"info","msg":"starting"}\n{"level":"fatal","msg":"member has already been bootstrapped"}\n\n',
              },
            },
          }),
        ],
      }),
      2,
    );
    assert.equal(state.phase, "running");
    assert.equal(state.ready, false);
    assert.equal(state.restarts, 2);
    assert.equal(
      state.lastTermination,
      'exited with code 0 (Completed): {"level":"fatal","msg":"member has already been bootstrapped"}',
    );
  });

  it("CrashLoopBackOff names the back-off and the exit that caused it", () => {
    const state = podStateOf(
      pod({
        phase: "Running",
        containerStatuses: [
          container({
            restartCount: 5,
            state: {
              waiting: {
                reason: "CrashLoopBackOff",
                message: "back-off 2m40s restarting failed container=etcd pod=etcd-2_db",
              },
            },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          }),
        ],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(state.restarts, 5);
    assert.equal(
      state.lastTermination,
      "CrashLoopBackOff: back-off 2m40s restarting failed container=etcd pod=etcd-2_db; last exited with code 1 (Error)",
    );
  });

  it("CreateContainerConfigError (e.g. a missing ConfigMap) is reported without any exit", () => {
    const state = podStateOf(
      pod({
        phase: "Pending",
        containerStatuses: [
          container({
            state: {
              waiting: {
                reason: "CreateContainerConfigError",
                message: 'configmap "etcd-join" not found',
              },
            },
          }),
        ],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(
      state.lastTermination,
      'CreateContainerConfigError: configmap "etcd-join" not found',
    );
  });

  it("a container terminated right now reports its exit code and signal", () => {
    const state = podStateOf(
      pod({
        phase: "Running",
        containerStatuses: [
          container({ state: { terminated: { exitCode: 137, reason: "OOMKilled", signal: 9 } } }),
        ],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(state.lastTermination, "exited with code 137 (OOMKilled, signal 9)");
  });

  it("a pod with a deletionTimestamp is terminating even while its container runs", () => {
    const state = podStateOf(
      pod(
        {
          phase: "Running",
          conditions: [readyCondition],
          containerStatuses: [container({ ready: true, state: { running: {} } })],
        },
        { deletionTimestamp: new Date() },
      ),
      2,
    );
    assert.equal(state.phase, "terminating");
    assert.equal(state.ready, true);
  });

  it("an evicted pod reports the eviction", () => {
    const state = podStateOf(
      pod({
        phase: "Failed",
        reason: "Evicted",
        message: "The node was low on resource: ephemeral-storage.",
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(
      state.lastTermination,
      "Evicted: The node was low on resource: ephemeral-storage.",
    );
  });

  it("with several containers: running only when all run, restarts summed, troubles named by container", () => {
    const state = podStateOf(
      pod({
        phase: "Running",
        containerStatuses: [
          container({ restartCount: 1, state: { running: {} } }),
          container({
            name: "backup",
            restartCount: 3,
            state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } },
          }),
        ],
      }),
      2,
    );
    assert.equal(state.phase, "waiting");
    assert.equal(state.restarts, 4);
    assert.equal(
      state.lastTermination,
      "container backup: ImagePullBackOff: Back-off pulling image",
    );
  });
});

describe("ordinalOf", () => {
  it("reads the ordinal after the prefix", () => {
    assert.equal(ordinalOf("etcd-0", "etcd-"), 0);
    assert.equal(ordinalOf("etcd-12", "etcd-"), 12);
    assert.equal(ordinalOf("data-etcd-3", "data-etcd-"), 3);
  });

  it("refuses names of other objects and leading zeros", () => {
    assert.equal(ordinalOf("etcd-data-0", "etcd-"), undefined);
    assert.equal(ordinalOf("etcd-01", "etcd-"), undefined);
    assert.equal(ordinalOf("etcd-", "etcd-"), undefined);
    assert.equal(ordinalOf("etcd-1a", "etcd-"), undefined);
    assert.equal(ordinalOf("other-1", "etcd-"), undefined);
  });
});

describe("labelSelectorQuery", () => {
  it("writes matchLabels and every expression operator", () => {
    assert.equal(
      labelSelectorQuery({
        matchLabels: { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "main" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["db", "store"] },
          { key: "canary", operator: "NotIn", values: ["true"] },
          { key: "member", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      }),
      "app.kubernetes.io/name=etcd,app.kubernetes.io/instance=main,tier in (db,store),canary notin (true),member,!legacy",
    );
  });

  it("refuses an operator it does not know", () => {
    assert.throws(
      () => labelSelectorQuery({ matchExpressions: [{ key: "tier", operator: "Gt" }] }),
      /operator "Gt" of key "tier" is not one of In, NotIn, Exists, DoesNotExist/,
    );
  });
});
