/**
 * `npm run defrag -- [flags]`: defragments one cluster's members one at a time, reaching them the
 * way the membership provider does (docs/operations.md, "Defragmentation"). Exit code 0 when every member
 * was defragmented, 1 on a refusal or failure, 2 on bad flags.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkEndpointTemplate } from "../model/config/kubernetesRules";
import {
  ACCESS_MODES,
  MAX_CLUSTER_NAME_LENGTH,
  validationError,
  type Violation,
  checkDnsLabel,
  checkDnsSubdomain,
  checkOneOf,
} from "../model/config/rules";
import { DEFAULT_ADMIN_OPTIONS, type EtcdAdmin } from "../providers/etcd/admin";
import type { ClientSecurity } from "../providers/etcd/security";
import { connectAdmin } from "../providers/membership/session";
import { redact } from "../providers/membership/redact";
import { rootCredentials } from "../providers/membership/rootAuth";
import type { AccessMode } from "../model/config/rules";
import type { Workload } from "../providers/membership/types";
import {
  type WorkloadArgs,
  createKubernetesWorkload,
} from "../providers/kubernetes/kubernetesWorkload";
import { defragmentCluster } from "./defragment";

/** Root's password for a cluster with authentication on: an environment variable, never a flag. */
export const ROOT_PASSWORD_ENV = "ETCD_K8S_ROOT_PASSWORD";

const USAGE = `usage: npm run defrag -- [--namespace etcd] [--cluster-name etcd] [--cluster-domain cluster.local]
       [--access port-forward|pod-ip|endpoints] [--endpoint-template URL] [--kubeconfig PATH]
       [--tls-client-secret NAME]
Defragments every member one at a time (followers first, the leader last), checking the cluster's
health before and after each; refuses an unhealthy cluster. Flags mean what the stack config keys
of the same name mean; the kubeconfig defaults to KUBECONFIG or ~/.kube/config. With TLS, name the
Secret holding the client certificate (tls.secrets.client, default <cluster-name>-client-tls).
With etcd authentication on (auth.enabled), put root's password in the environment variable
${ROOT_PASSWORD_ENV} (never a flag: flags show up in the process list and shell history).`;

/** Root's credentials from the environment, if the cluster needs them. */
export function securityFromEnvironment(env: NodeJS.ProcessEnv): ClientSecurity {
  const password = env[ROOT_PASSWORD_ENV];
  return password ? { auth: rootCredentials(password) } : {};
}

/** Reads and checks the flags with the stack config's rules, so a bad value is named the same way. */
export function parseDefragmentFlags(argv: string[]): WorkloadArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      namespace: { type: "string", default: "etcd" },
      "cluster-name": { type: "string", default: "etcd" },
      "cluster-domain": { type: "string", default: "cluster.local" },
      access: { type: "string", default: "port-forward" },
      "endpoint-template": { type: "string" },
      kubeconfig: { type: "string" },
      "tls-client-secret": { type: "string" },
    },
  });
  const found = [
    checkDnsLabel("--cluster-name", values["cluster-name"], MAX_CLUSTER_NAME_LENGTH),
    checkDnsLabel("--namespace", values.namespace),
    checkDnsSubdomain("--cluster-domain", values["cluster-domain"]),
    checkOneOf("--access", values.access, ACCESS_MODES),
    checkEndpointTemplate("--endpoint-template", values["endpoint-template"], values.access),
    values["tls-client-secret"] === undefined
      ? undefined
      : checkDnsSubdomain("--tls-client-secret", values["tls-client-secret"]),
  ];
  const violations = found.filter((v): v is Violation => v !== undefined);
  if (violations.length > 0) throw validationError("npm run defrag", violations);
  return {
    clusterName: values["cluster-name"],
    namespace: values.namespace,
    clusterDomain: values["cluster-domain"],
    access: values.access as AccessMode,
    ...(values["endpoint-template"] ? { endpointTemplate: values["endpoint-template"] } : {}),
    ...(values.kubeconfig ? { kubeconfig: readFileSync(values.kubeconfig, "utf8") } : {}),
    ...(values["tls-client-secret"] ? { tls: { clientSecret: values["tls-client-secret"] } } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let args: WorkloadArgs;
  try {
    args = parseDefragmentFlags(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const security = securityFromEnvironment(process.env);
  let admin: EtcdAdmin | undefined;
  let workload: Workload | undefined;
  try {
    workload = createKubernetesWorkload(args);
    admin = await connectAdmin(workload, { admin: DEFAULT_ADMIN_OPTIONS, security });
    await defragmentCluster(workload, admin);
    return 0;
  } catch (error) {
    console.error(
      redact((error as Error).message, [security.auth?.password ?? ""].filter(Boolean)),
    );
    return 1;
  } finally {
    admin?.close();
    await workload?.close();
  }
}

if (require.main === module)
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
