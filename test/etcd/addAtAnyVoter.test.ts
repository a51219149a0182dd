/**
 * etcd checks a member add against the connections of the member that receives it. Here the two
 * voters of a real etcd 3.5 cluster on 127.0.26.x see each other as a new member's pod is seen
 * right after it started: etcd-b reaches etcd-a, but etcd-a cannot resolve etcd-b's peer name
 * (etcd-b runs in its own mount namespace, the only place /etc/hosts has that name), as the leader
 * cannot while cluster DNS still serves its cached "no such name". etcd-a refuses every add
 * ("unhealthy cluster"); EtcdAdmin.addLearner, asked with etcd-a first, gets etcd-b to take it.
 * Needs root (mount namespaces), as the end-to-end tests do for /etc/hosts.
 */
import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pollUntil } from "../../providers/backoff";
import { DEFAULT_ADMIN_OPTIONS, EtcdAdmin } from "../../providers/etcd/admin";
import { errorText } from "../../providers/etcd/errors";
import { etcdBinary } from "../harness/etcdBinaries";

const A = { name: "etcd-a", ip: "127.0.26.1" };
const B = { name: "etcd-b", ip: "127.0.26.2", host: "etcd-b.any-voter.test" };
const peerA = `http://${A.ip}:2380`;
const peerB = `http://${B.host}:2380`;
const clientURL = (ip: string) => `http://${ip}:2379`;

interface Member {
  child: childProcess.ChildProcess;
  exited: Promise<void>;
  log: string;
}

function start(dir: string, who: { name: string; ip: string }, peerURL: string, hosts?: string) {
  const log = path.join(dir, `${who.name}.log`);
  const out = fs.openSync(log, "a");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ETCD_NAME: who.name,
    ETCD_DATA_DIR: path.join(dir, who.name),
    ETCD_LISTEN_PEER_URLS: `http://${who.ip}:2380`,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: peerURL,
    ETCD_LISTEN_CLIENT_URLS: clientURL(who.ip),
    ETCD_ADVERTISE_CLIENT_URLS: clientURL(who.ip),
    ETCD_INITIAL_CLUSTER: `${A.name}=${peerA},${B.name}=${peerB}`,
    ETCD_INITIAL_CLUSTER_STATE: "new",
    ETCD_INITIAL_CLUSTER_TOKEN: "any-voter",
    ETCD_UNSAFE_NO_FSYNC: "true",
    NAMESPACE_HOSTS: hosts ?? "",
    MEMBER_EXECUTABLE: etcdBinary("3.5"),
  };
  // The shell bind-mounts the hosts file inside the new namespace only, then becomes etcd.
  const child = hosts
    ? childProcess.spawn(
        "unshare",
        [
          "--mount",
          "--",
          "/bin/sh",
          "-c",
          'mount --bind "$NAMESPACE_HOSTS" /etc/hosts && exec "$MEMBER_EXECUTABLE"',
        ],
        { env, stdio: ["ignore", out, out] },
      )
    : childProcess.spawn(env.MEMBER_EXECUTABLE, [], { env, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited, log };
}

describe("a member add goes to whichever voter etcd lets take it", () => {
  const admin = new EtcdAdmin();
  const impatient = new EtcdAdmin({
    ...DEFAULT_ADMIN_OPTIONS,
    retry: { budgetMs: 2_000, initialDelayMs: 20, maxDelayMs: 250 },
  });
  let dir: string;
  const members: Member[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-any-voter-"));
    const hosts = path.join(dir, "hosts");
    fs.writeFileSync(hosts, `${fs.readFileSync("/etc/hosts", "utf8")}\n${B.ip} ${B.host}\n`);
    members.push(start(dir, A, peerA), start(dir, B, peerB, hosts));
    const bothLed = await pollUntil(
      { budgetMs: 60_000, initialDelayMs: 50, maxDelayMs: 250 },
      async () => {
        const statuses = await Promise.all(
          [A.ip, B.ip].map((ip) => admin.status(clientURL(ip)).catch(() => undefined)),
        );
        return statuses.every((s) => s?.leader) ? true : undefined;
      },
    );
    const logs = members.map((m) =>
      fs.readFileSync(m.log, "utf8").trim().split("\n").slice(-5).join("\n"),
    );
    assert.ok(
      bothLed,
      `the two members never agreed on a leader; their last log lines:\n${logs.join("\n")}`,
    );
  });

  after(async () => {
    admin.close();
    impatient.close();
    for (const m of members) m.child.kill("SIGKILL");
    await Promise.all(members.map((m) => m.exited));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("asked etcd-a first, then etcd-b, the add is taken by etcd-b once it has been connected for 5 s", async () => {
    const learner = await admin.addLearner(
      [clientURL(A.ip), clientURL(B.ip)],
      "http://127.0.26.4:2380",
    );
    assert.equal(learner.isLearner, true);
    const { members: listed } = await admin.memberList(clientURL(A.ip));
    assert.deepEqual(
      listed.filter((m) => m.isLearner).map((m) => m.peerURLs),
      [["http://127.0.26.4:2380"]],
      "exactly the one learner, added once",
    );
    await admin.remove(clientURL(B.ip), learner.id);
  });

  // Only now: in their first 5 s both members refuse, whatever their connections.
  it("etcd-a, up for longer than 5 s but unable to dial etcd-b, still refuses: unhealthy cluster", async () => {
    const refusals: string[] = [];
    await assert.rejects(
      impatient.addLearner([clientURL(A.ip)], "http://127.0.26.3:2380", (e) =>
        refusals.push(errorText(e)),
      ),
      /unhealthy cluster/,
    );
    assert.match(
      refusals[0] ?? "",
      /unhealthy cluster/,
      "onRefused hears the refusal of the round",
    );
    const { members: listed } = await admin.memberList(clientURL(A.ip));
    assert.equal(listed.length, 2, "nothing was added");
  });
});
