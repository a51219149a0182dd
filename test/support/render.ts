/**
 * Turns builder output (Pulumi resource args, whose fields are typed as possible Outputs) into the
 * plain Kubernetes object it stands for, typed by kubernetes-models for reading in tests.
 */
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type * as pulumi from "@pulumi/pulumi";
import { outputValue } from "./pulumiMocks";

const as = <T>(apiVersion: string, kind: string, args: unknown): T =>
  ({ apiVersion, kind, ...(args as object) }) as T;

export const asService = (args: unknown) => as<IService>("v1", "Service", args);
export const asNamespace = (args: unknown) => as<INamespace>("v1", "Namespace", args);
export const asStatefulSet = (args: unknown) => as<IStatefulSet>("apps/v1", "StatefulSet", args);
export const asDisruptionBudget = (args: unknown) =>
  as<IPodDisruptionBudget>("policy/v1", "PodDisruptionBudget", args);

export const asNetworkPolicy = (args: unknown) =>
  as<INetworkPolicy>("networking.k8s.io/v1", "NetworkPolicy", args);

export async function resolvePodSpec(spec: pulumi.Output<unknown>): Promise<IPodSpec> {
  return (await outputValue(spec)) as IPodSpec;
}
