/**
 * A run's connection to etcd: one adapter and the member endpoints opened through it. Credentials
 * are part of the adapter's clients, so other credentials mean a new connection, not a changed one.
 */
import { type AdminOptions, EtcdAdmin } from "../etcd/admin";
import type { ClientAuth, ClientSecurity } from "../etcd/security";
import { Endpoints } from "./observe";
import type { Workload } from "./types";

export class Session {
  admin: EtcdAdmin;
  endpoints: Endpoints;

  constructor(
    private readonly workload: Workload,
    /** An adapter with the run's TLS and these credentials (none: unauthenticated). */
    readonly makeAdmin: (auth?: ClientAuth) => EtcdAdmin,
  ) {
    this.admin = makeAdmin();
    this.endpoints = new Endpoints(workload, this.admin);
  }

  /** Closes what is open, then connects again with `auth`. */
  async reconnect(auth: ClientAuth): Promise<void> {
    await this.close();
    this.admin = this.makeAdmin(auth);
    this.endpoints = new Endpoints(this.workload, this.admin);
  }

  async close(): Promise<void> {
    await this.endpoints.closeAll();
    this.admin.close();
  }
}

/**
 * Opens unauthenticated, whatever `security.auth` says, until the authentication phase says which
 * credentials work: a new cluster starts without authentication, and an existing one is asked
 * before anything else. The workload's client certificate is presented from the start.
 */
export async function openSession(
  workload: Workload,
  admin: AdminOptions,
  security: ClientSecurity | undefined,
): Promise<Session> {
  return new Session(workload, await adminFactory(workload, admin, security));
}

/** Adapters with the options' security and the workload's client certificate, read once. */
async function adminFactory(
  workload: Workload,
  admin: AdminOptions,
  security: ClientSecurity | undefined,
): Promise<(auth?: ClientAuth) => EtcdAdmin> {
  const tls = await workload.clientTLS();
  return (auth) => new EtcdAdmin(admin, { ...security, ...(tls ? { tls } : {}), auth });
}

/** The etcd adapter with every credential: the options' and the workload's client certificate. */
export async function connectAdmin(
  workload: Workload,
  options: { admin: AdminOptions; security?: ClientSecurity },
): Promise<EtcdAdmin> {
  const makeAdmin = await adminFactory(workload, options.admin, options.security);
  return makeAdmin(options.security?.auth);
}
