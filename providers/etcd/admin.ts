/**
 * The etcd calls the membership reconciler needs, over the etcd3 client. One client per endpoint
 * (etcd3 spreads calls over its hosts at random, and Status must reach one given member), a
 * deadline on every call, no retries inside the client (membership calls are not idempotent), and
 * retries here only for documented transient refusals, each followed by a check of the live member
 * list so a call that did take effect is never sent twice.
 */
import type { CallCredentials } from "@grpc/grpc-js";
import * as cockatiel from "cockatiel";
import * as etcd3 from "etcd3";
import { classifyFailure, errorText } from "./errors";
import { decimalId, hexId } from "./ids";
import { type Budget, retryWithin } from "../backoff";
import { SharedToken } from "./rootToken";
import type { ClientSecurity } from "./security";
import { type StreamedSnapshot, streamSnapshot } from "./snapshotStream";
import type { EtcdAlarm, EtcdMember, EtcdMemberList, EtcdStatus } from "./types";

export interface AdminOptions {
  /** Deadline of every unary call. */
  callTimeoutMs: number;
  /** Total time a membership call may spend retrying transient refusals. */
  retry: Budget;
}

export const DEFAULT_ADMIN_OPTIONS: AdminOptions = {
  callTimeoutMs: 5_000,
  // etcd refuses adds and removes for ~5 s after a peer connects: the budget must outlast that.
  retry: { budgetMs: 30_000, initialDelayMs: 20, maxDelayMs: 250 },
};

/**
 * Defragmentation rewrites a member's whole database and blocks that member meanwhile: seconds per
 * GiB on a fast disk, far longer on a slow one, hence its own deadline instead of `callTimeoutMs`.
 */
export const DEFRAGMENT_TIMEOUT_MS = 10 * 60_000;

/** etcd3 bundles cockatiel 3; the one method it calls on a policy, execute(fn), is the same in 4. */
type ClientPolicy = NonNullable<NonNullable<etcd3.IOptions["faultHandling"]>["global"]>;

function toMember(m: etcd3.IMember): EtcdMember {
  return {
    id: hexId(m.ID),
    name: m.name,
    peerURLs: m.peerURLs,
    clientURLs: m.clientURLs,
    isLearner: m.isLearner === true,
  };
}

export class EtcdAdmin {
  private readonly clients = new Map<string, etcd3.Etcd3>();
  /** Per URL, the name a member's certificate must carry when the URL's host is not in it. */
  private readonly serverNames = new Map<string, string>();
  /** Clients without a token, for Authenticate itself. */
  private readonly tokenless = new Map<string, etcd3.Etcd3>();
  /** Root's token, with authentication: see rootToken.ts for why not etcd3's `auth` option. */
  private readonly token?: SharedToken;

  constructor(
    private readonly options: AdminOptions = DEFAULT_ADMIN_OPTIONS,
    private readonly security: ClientSecurity = {},
  ) {
    const { auth } = security;
    if (auth)
      this.token = new SharedToken(async (url) => {
        const answer = await this.build(url, this.tokenless).auth.authenticate({
          name: auth.username,
          password: auth.password,
        });
        return answer.token;
      });
  }

  private client(url: string): etcd3.Etcd3 {
    // The member at `url` is asked for the token first, then any other this adapter knows.
    const credentials = this.token?.credentials(() => [url, ...this.clients.keys()]);
    return this.build(url, this.clients, credentials ? { credentials } : {});
  }

  private build(
    url: string,
    cache: Map<string, etcd3.Etcd3>,
    callOptions: { credentials?: CallCredentials } = {},
  ): etcd3.Etcd3 {
    const known = cache.get(url);
    if (known) return known;
    const timeout = this.options.callTimeoutMs;
    const noRetry = cockatiel.noop as unknown as ClientPolicy;
    const tls = this.security.tls;
    const serverName = this.serverNames.get(url);
    const created = new etcd3.Etcd3({
      hosts: url,
      // etcd3 speaks TLS whenever credentials are given, whatever the URL's scheme.
      ...(tls
        ? { credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key } }
        : {}),
      ...(tls && serverName
        ? { grpcOptions: { "grpc.ssl_target_name_override": serverName } }
        : {}),
      faultHandling: { host: () => noRetry, global: noRetry },
      defaultCallOptions: (ctx) =>
        ctx.isStream ? callOptions : { ...callOptions, deadline: Date.now() + timeout },
    });
    cache.set(url, created);
    return created;
  }

  /**
   * Verifies the member behind `url` against `serverName` (its DNS name) rather than the URL's host:
   * a port-forward or a pod IP reaches the right member under an address its certificate does not
   * name. Call before the first call to `url`.
   */
  expectServerName(url: string, serverName: string): void {
    this.serverNames.set(url, serverName);
  }

  /** Drops the client of an endpoint that went away (a closed port-forward, a stopped member). */
  forget(url: string): void {
    for (const cache of [this.clients, this.tokenless]) {
      cache.get(url)?.close();
      cache.delete(url);
    }
    this.serverNames.delete(url);
  }

  close(): void {
    for (const cache of [this.clients, this.tokenless]) {
      for (const c of cache.values()) c.close();
      cache.clear();
    }
  }

  /** etcd's Auth service at `url`: root user and authentication switches (see rootUser.ts). */
  authService(url: string): etcd3.AuthClient {
    return this.client(url).auth;
  }

  async memberList(url: string): Promise<EtcdMemberList> {
    const r = await this.client(url).cluster.memberList({});
    return { clusterId: hexId(r.header.cluster_id), members: r.members.map(toMember) };
  }

  async status(url: string): Promise<EtcdStatus> {
    const s = await this.client(url).maintenance.status();
    return {
      clusterId: hexId(s.header.cluster_id),
      memberId: hexId(s.header.member_id),
      leader: s.leader === "0" ? undefined : hexId(s.leader),
      raftIndex: Number(s.raftIndex),
      raftAppliedIndex: Number(s.raftAppliedIndex),
      isLearner: s.isLearner === true,
      dbSize: Number(s.dbSize),
      errors: s.errors ?? [],
    };
  }

  async alarms(url: string): Promise<EtcdAlarm[]> {
    const r = await this.client(url).maintenance.alarm({
      action: "Get",
      memberID: 0,
      alarm: "None",
    });
    return r.alarms.map((a) => ({
      memberId: hexId(a.memberID),
      alarm: String(a.alarm).toUpperCase(),
    }));
  }

  /**
   * Defragments the one member behind `url`. Not retried: a call that timed out may still be
   * running on the member, and a second one would only queue behind it. The answer is not read
   * (etcd 3.4 sends no header).
   */
  async defragment(url: string, timeoutMs = DEFRAGMENT_TIMEOUT_MS): Promise<void> {
    await this.client(url).maintenance.defragment({ deadline: Date.now() + timeoutMs });
  }

  /**
   * Streams a snapshot of the member at `url` (only that member: one client per endpoint) into a
   * new `file`, within `timeoutMs` for the whole stream rather than the unary call deadline.
   */
  snapshot(url: string, file: string, timeoutMs: number): Promise<StreamedSnapshot> {
    return streamSnapshot(this.client(url), file, timeoutMs);
  }

  /**
   * Adds a learner with this peer URL, or returns the one a lost earlier attempt added. etcd
   * derives a new member's ID from its peer URL and the second it is added, and a removed ID is
   * refused for ever ("member not found"): re-adding a URL in the second its last member was added
   * is refused, having changed nothing, and succeeds a moment later.
   *
   * Each voter at `urls` (the leader first) is asked in turn until one accepts: etcd checks an add
   * against the connections of the member that receives it ("unhealthy cluster" until that member
   * has been connected to a quorum of the grown cluster for 5 s), and a member that just joined has
   * been connected since it started, while the leader's "connected since" for it may still wait on
   * its own first dial (DNS answered "no such name" before the pod existed and may keep answering
   * that from its cache). `onRefused` hears each round that every voter refused.
   */
  addLearner(
    urls: readonly string[],
    peerURL: string,
    onRefused: (error: unknown) => void = () => undefined,
  ): Promise<EtcdMember> {
    if (urls.length === 0) throw new Error(`add learner ${peerURL}: no voter to send it to`);
    return this.change(
      `add learner ${peerURL}`,
      async () =>
        (await this.memberList(urls[0])).members.find((m) => m.peerURLs.includes(peerURL)),
      async () => {
        const refusals: unknown[] = [];
        for (const url of urls) {
          try {
            const r = await this.client(url).cluster.memberAdd({
              peerURLs: [peerURL],
              isLearner: true,
            });
            return toMember(r.member);
          } catch (error) {
            // Only a refusal that changed nothing lets the next voter be asked at once; an
            // unknown outcome goes back to change(), which reads the member list first.
            if (classifyFailure(error) !== "transient") throw error;
            refusals.push(error);
          }
        }
        onRefused(refusals[0]);
        throw refusals[0];
      },
      (error) => errorText(error).includes("etcdserver: member not found"),
    );
  }

  promote(url: string, id: string): Promise<true> {
    return this.change<true>(
      `promote member ${id}`,
      async () => {
        const m = (await this.memberList(url)).members.find((x) => x.id === id);
        if (!m) throw new Error(`member ${id} is no longer in the member list`);
        return m.isLearner ? undefined : true;
      },
      async () => {
        await this.client(url).cluster.memberPromote({ ID: decimalId(id) });
        return true;
      },
    );
  }

  remove(url: string, id: string): Promise<true> {
    return this.change<true>(
      `remove member ${id}`,
      async () =>
        (await this.memberList(url)).members.some((m) => m.id === id) ? undefined : true,
      async () => {
        await this.client(url).cluster.memberRemove({ ID: decimalId(id) });
        return true;
      },
    );
  }

  /** Must be sent to the current leader's endpoint (etcd answers "not leader" otherwise). */
  moveLeader(leaderUrl: string, targetId: string): Promise<true> {
    return this.change<true>(
      `move leadership to ${targetId}`,
      async () => ((await this.status(leaderUrl)).leader === targetId ? true : undefined),
      async () => {
        await this.client(leaderUrl).maintenance.moveLeader({ targetID: decimalId(targetId) });
        return true;
      },
    );
  }

  /**
   * Runs a non-idempotent call: retries transient refusals and unknown outcomes within the budget,
   * but before every retry, and after a final failure, checks whether the change already took
   * effect (matched by peer URL or ID in the live member list).
   */
  private async change<T>(
    what: string,
    applied: () => Promise<T | undefined>,
    attempt: () => Promise<T>,
    alsoTransient: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    let attempts = 0;
    try {
      return await retryWithin(
        this.options.retry,
        (e) => classifyFailure(e) !== "final" || alsoTransient(e),
        async () => {
          attempts++;
          if (attempts > 1) {
            const done = await applied();
            if (done !== undefined) return done;
          }
          return attempt();
        },
      );
    } catch (error) {
      const done = await applied().catch(() => undefined);
      if (done !== undefined) return done;
      throw new Error(`etcd: ${what} failed after ${attempts} attempt(s): ${errorText(error)}`, {
        cause: error,
      });
    }
  }
}
