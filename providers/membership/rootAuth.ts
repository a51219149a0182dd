/**
 * The authentication phase, apart from the membership plan: bring etcd's root user and its
 * authentication switch to what the config asks for. It is not a membership change (no quorum at
 * stake, no safety snapshot needed, reversible with root's password), it needs root's old password,
 * which the pure plan has no business holding, and it decides which credentials every later call of
 * the run uses. Every action is observed first (a token request tells whether authentication is on
 * and whose password works), so a run stopped at any point is finished by running again.
 */
import type { EtcdAdmin } from "../etcd/admin";
import { errorText } from "../etcd/errors";
import {
  ROOT_USER,
  type RootProbe,
  changeRootPassword,
  disableAuthentication,
  enableAuthentication,
  probeRoot,
} from "../etcd/rootUser";
import type { ClientAuth } from "../etcd/security";
import type { MemberTarget } from "./observe";

export interface AuthGoal {
  /** Root's password from `auth.rootPassword`; absent: authentication off. */
  password?: string;
  /** Root's password as the last completed run left it (the previous outputs). */
  previousPassword?: string;
}

export interface AuthContext {
  /** The members to ask, in order; the first that answers decides. */
  targets: MemberTarget[];
  /** An adapter with these credentials, or none; the phase closes what it makes. */
  makeAdmin: (auth?: ClientAuth) => EtcdAdmin;
  /** One progress line (never a password). */
  say: (what: string) => void;
  /** A refusal that changes nothing, with what to do. */
  refuse: (reason: string) => Error;
}

export type AuthOutcome =
  /** Done: the credentials every later call uses (none when authentication is off). */
  | { settled: true; auth?: ClientAuth }
  /** No member answered: try again once the cluster is up. */
  | { settled: false; reasons: string[] };

export const rootCredentials = (password: string): ClientAuth => ({
  username: ROOT_USER,
  password,
});

const WRONG_PASSWORD =
  "etcd has authentication enabled and refuses the password in auth.rootPassword for user root " +
  "(and the previous one recorded in the stack, if any). Nothing was changed. Set auth.rootPassword " +
  "to root's current password (pulumi config set --secret --path auth.rootPassword <password>) and " +
  "run again; change the password afterwards with another such set and pulumi up";

export async function settleAuthentication(
  goal: AuthGoal,
  context: AuthContext,
): Promise<AuthOutcome> {
  const { password, previousPassword } = goal;
  const probePassword = password ?? previousPassword;
  if (probePassword === undefined) return { settled: true };
  const made: EtcdAdmin[] = [];
  const admin = (auth?: ClientAuth) => {
    const a = context.makeAdmin(auth);
    for (const t of context.targets) if (t.serverName) a.expectServerName(t.url, t.serverName);
    made.push(a);
    return a;
  };
  try {
    const plain = admin();
    const reasons: string[] = [];
    let found: { url: string; probe: RootProbe } | undefined;
    for (const { url } of context.targets) {
      try {
        found = { url, probe: await probeRoot(plain, url, probePassword) };
        break;
      } catch (error) {
        reasons.push(`${url}: ${errorText(error)}`);
      }
    }
    if (!found) return { settled: false, reasons };
    const { url, probe } = found;

    if (password === undefined) {
      if (probe === "auth-disabled") return { settled: true };
      if (probe === "rejected") throw context.refuse(WRONG_PASSWORD);
      context.say("disabling authentication (auth.enabled is false)");
      await disableAuthentication(admin(rootCredentials(probePassword)), url);
      return { settled: true };
    }
    if (probe === "auth-disabled") {
      context.say(
        "enabling authentication: user root with role root, password from auth.rootPassword",
      );
      await enableAuthentication(plain, url, password);
    } else if (probe === "rejected") {
      const canRotate =
        previousPassword !== undefined &&
        previousPassword !== password &&
        (await probeRoot(plain, url, previousPassword)) === "accepted";
      if (!canRotate) throw context.refuse(WRONG_PASSWORD);
      context.say("changing root's password to the one in auth.rootPassword");
      await changeRootPassword(admin(rootCredentials(previousPassword)), url, password);
    }
    return { settled: true, auth: rootCredentials(password) };
  } finally {
    for (const a of made) a.close();
  }
}
