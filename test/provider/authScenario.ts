/**
 * Shared parts of the authentication scenarios: the provider over local etcd processes with every
 * progress line kept, inputs as `check` makes them, and clients that show what etcd allows.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as etcd3 from "etcd3";
import type { MembershipInputs } from "../../model/membership/inputs";
import type { LocalCluster } from "../harness/localCluster";
import { loggingProvider } from "./localProvider";
import { clientURL } from "./scenario";

export function authProvider(c: LocalCluster, logged: string[]) {
  const provider = loggingProvider(c, logged);
  const args = {
    clusterName: c.workload.clusterName,
    namespace: "db",
    owner: "etcd-k8s/test/etcd",
    clusterDomain: "cluster.local",
    volumePolicy: "Delete" as const,
    access: "pod-ip" as const,
    // Snapshots stream over the same authenticated clients: taken before each membership change.
    snapshots: { directory: path.join(c.options.root, "snapshots"), keep: 2 },
  };
  const inputs = async (olds: object, size: number, rootPassword?: string) => {
    const news = { ...args, size, ...(rootPassword === undefined ? {} : { rootPassword }) };
    const checked = await provider.check!(olds, news);
    assert.deepEqual(checked.failures ?? [], []);
    return checked.inputs as MembershipInputs;
  };
  return { provider, inputs };
}

/** A client of member 0 with these credentials (or none); the caller closes it. */
export function client(c: LocalCluster, password?: string): etcd3.Etcd3 {
  return new etcd3.Etcd3({
    hosts: clientURL(c, 0),
    ...(password === undefined ? {} : { auth: { username: "root", password } }),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5_000 }),
  });
}

/** What etcd answers to a write with these credentials: "ok" or its error message. */
export async function tryWrite(c: LocalCluster, password?: string): Promise<string> {
  const etcd = client(c, password);
  try {
    await etcd.put("auth-test/key").value("value");
    return "ok";
  } catch (error) {
    return (error as Error).message;
  } finally {
    etcd.close();
  }
}

export const REFUSED_WITHOUT_USER = /user name is empty/;
export const REFUSED_PASSWORD = /authentication failed, invalid user ID or password/;

export function assertNoSecret(texts: string[], secrets: string[], where: string): void {
  for (const secret of secrets)
    assert.equal(
      texts.filter((t) => t.includes(secret)).length,
      0,
      `${where} never contain a password`,
    );
}
