/**
 * etcd's root user and its authentication switch, over the Auth service of one member. etcd keeps
 * both in the replicated auth store, so any member that answers speaks for the cluster. Each call is
 * safe to repeat, which is what makes the authentication phase resumable after an interruption.
 */
import type { EtcdAdmin } from "./admin";
import { errorText } from "./errors";

export const ROOT_USER = "root";
/** etcd's built-in role with every permission; only a user holding it can enable authentication. */
const ROOT_ROLE = "root";

/** What etcd says to root's password: it is root's, it is not, or passwords are not checked at all. */
export type RootProbe = "accepted" | "rejected" | "auth-disabled";

const AUTH_DISABLED = "authentication is not enabled";
const AUTH_FAILED = "authentication failed";
const USER_EXISTS = "user name already exists";

/**
 * Asks for a token with this password: etcd's own answer to "is authentication on, and is this root's
 * password?". Anything else (no connection, a deadline) is thrown.
 */
export async function probeRoot(
  unauthenticated: EtcdAdmin,
  url: string,
  password: string,
): Promise<RootProbe> {
  try {
    await unauthenticated.authService(url).authenticate({ name: ROOT_USER, password });
    return "accepted";
  } catch (error) {
    const text = errorText(error);
    if (text.includes(AUTH_DISABLED)) return "auth-disabled";
    if (text.includes(AUTH_FAILED)) return "rejected";
    throw error;
  }
}

/**
 * With authentication off: makes root exist with this password and the root role, then turns
 * authentication on. A user root left by an interrupted earlier run gets the password again.
 */
export async function enableAuthentication(
  unauthenticated: EtcdAdmin,
  url: string,
  password: string,
): Promise<void> {
  const auth = unauthenticated.authService(url);
  try {
    await auth.userAdd({ name: ROOT_USER, password });
  } catch (error) {
    if (!errorText(error).includes(USER_EXISTS)) throw error;
    await auth.userChangePassword({ name: ROOT_USER, password });
  }
  // Granting a role the user already holds is accepted and changes nothing.
  await auth.userGrantRole({ user: ROOT_USER, role: ROOT_ROLE });
  await auth.authEnable();
}

/** `asRoot` authenticates with root's current password. */
export async function changeRootPassword(
  asRoot: EtcdAdmin,
  url: string,
  password: string,
): Promise<void> {
  await asRoot.authService(url).userChangePassword({ name: ROOT_USER, password });
}

export async function disableAuthentication(asRoot: EtcdAdmin, url: string): Promise<void> {
  await asRoot.authService(url).authDisable();
}
