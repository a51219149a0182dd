/**
 * One authentication token for every per-member client of an adapter, attached to each call as
 * gRPC call credentials. etcd3's own `auth` option asks the client's only host for the token, and a
 * learner refuses that (etcd routes Authenticate through raft; measured on 3.5: "rpc not supported
 * for learner"), so its Status, which a promotion waits on, could never be read. A token from any
 * voter is valid on every member, the learner included: each member applies it from the raft log.
 */
import * as grpc from "@grpc/grpc-js";

/**
 * etcd's simple tokens lapse after `--auth-token-ttl` (300 s by default) without use; a fresh one
 * each minute keeps long runs away from that edge at the cost of one Authenticate per minute.
 */
const TOKEN_REUSE_MS = 60_000;

export class SharedToken {
  private current?: { token: Promise<string>; at: number };

  /** `authenticateAt` asks the member behind a URL for a token, without any token of its own. */
  constructor(private readonly authenticateAt: (url: string) => Promise<string>) {}

  /** A token from the first of `urls` that gives one. */
  get(urls: readonly string[]): Promise<string> {
    const now = Date.now();
    if (!this.current || now - this.current.at > TOKEN_REUSE_MS) {
      const token = this.fetch(urls);
      this.current = { token, at: now };
      // A failed attempt is not kept: the next call asks again.
      token.catch(() => (this.current = undefined));
    }
    return this.current.token;
  }

  private async fetch(urls: readonly string[]): Promise<string> {
    let last: unknown;
    for (const url of new Set(urls)) {
      try {
        return await this.authenticateAt(url);
      } catch (error) {
        last = error;
      }
    }
    throw last ?? new Error("no etcd member to authenticate with");
  }

  /** Call credentials that carry the token, asking the member at `urls()[0]` first. */
  credentials(urls: () => readonly string[]): grpc.CallCredentials {
    return grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      this.get(urls()).then(
        (token) => {
          const metadata = new grpc.Metadata();
          metadata.set("token", token);
          callback(null, metadata);
        },
        (error: Error) => callback(error),
      );
    });
  }
}
