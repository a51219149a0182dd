/**
 * Which Kubernetes cluster an EtcdCluster goes to. Its Kubernetes objects go through a
 * @pulumi/kubernetes provider, its membership changes through the membership provider, which runs
 * apart and cannot read another provider's settings: both must be told the same cluster, or the
 * members would be changed in whatever cluster KUBECONFIG names. So a Kubernetes provider in the
 * resource options is only accepted together with the kubeconfig (and context) it was made from.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeConfig } from "@kubernetes/client-node";
import { validationError, violation } from "../model/config/rules";

export interface KubernetesTargetArgs {
  /**
   * The kubeconfig (its text) of the cluster to run in. The Kubernetes objects and the membership
   * changes both go there. Default: the ambient kubeconfig (KUBECONFIG or ~/.kube/config).
   */
  kubeconfig?: pulumi.Input<string>;
  /** A context of that kubeconfig. Default: its current context. */
  context?: string;
}

export interface KubernetesTarget {
  /** The provider of the Kubernetes objects, when the component makes one. */
  provider?: k8s.Provider;
  /** The membership resource's `kubeconfig` input: the kubeconfig with the context made current. */
  kubeconfig?: pulumi.Output<string>;
}

const hasKubernetesProvider = (opts: pulumi.ComponentResourceOptions): boolean => {
  if (opts.provider) return k8s.Provider.isInstance(opts.provider);
  const providers = opts.providers;
  if (Array.isArray(providers)) return providers.some((p) => k8s.Provider.isInstance(p));
  return providers !== undefined && "kubernetes" in providers;
};

/** The kubeconfig text with `context` as its current context; throws naming the contexts there are. */
export function withContext(subject: string, kubeconfig: string, context?: string): string {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  if (context === undefined) return kubeconfig;
  const contexts = config.getContexts().map((c) => c.name);
  if (!contexts.includes(context))
    throw validationError(subject, [
      violation("context", context, `must be a context of the kubeconfig: ${contexts.join(", ")}`),
    ]);
  config.setCurrentContext(context);
  return config.exportConfig();
}

/**
 * Refuses a Kubernetes provider in the options without the kubeconfig it was made from; says
 * whether the options carry one (then the component makes no provider of its own).
 */
export function checkKubernetesTarget(
  subject: string,
  args: KubernetesTargetArgs,
  opts: pulumi.ComponentResourceOptions,
): { explicitProvider: boolean } {
  const explicitProvider = hasKubernetesProvider(opts);
  if (explicitProvider && args.kubeconfig === undefined)
    throw validationError(subject, [
      violation(
        "kubeconfig",
        undefined,
        "a Kubernetes provider in the resource options needs the kubeconfig (and context) it was " +
          "made from as well: the membership provider cannot read that provider's settings, and " +
          "would otherwise change the members of the cluster KUBECONFIG names",
      ),
    ]);
  return { explicitProvider };
}

/** Where the objects and the membership changes go; `checkKubernetesTarget` has passed. */
export function kubernetesTarget(
  subject: string,
  name: string,
  args: KubernetesTargetArgs,
  checked: { explicitProvider: boolean },
  parent: pulumi.Resource,
): KubernetesTarget {
  if (args.kubeconfig === undefined && args.context === undefined) return {};
  const text =
    args.kubeconfig ??
    (() => {
      const ambient = new KubeConfig();
      ambient.loadFromDefault();
      return ambient.exportConfig();
    })();
  const kubeconfig = pulumi.secret(
    pulumi.output(text).apply((t) => withContext(subject, t, args.context)),
  );
  if (checked.explicitProvider) return { kubeconfig };
  const provider = new k8s.Provider(
    `${name}-kubernetes`,
    { kubeconfig, ...(args.context === undefined ? {} : { context: args.context }) },
    { parent },
  );
  return { provider, kubeconfig };
}
