/**
 * Validates rendered objects against the Kubernetes API schema. kubernetes-models checks types,
 * enums and required fields but, like the published OpenAPI schema, accepts unknown fields, so a
 * misspelled field would pass; the field lists of @kubernetes/client-node's generated models
 * (the same API, release 1.36) catch those.
 */
import * as client from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

interface SchemaModel {
  validate(): void;
}
type ModelConstructor = new (data: unknown) => SchemaModel;
interface Attribute {
  baseName: string;
  type: string;
}
interface GeneratedModel {
  getAttributeTypeMap(): Attribute[];
}

/** apiVersion/kind -> [kubernetes-models module, client-node model] */
const KINDS: Record<string, [string, string]> = {
  "v1/Namespace": ["v1/Namespace.js", "V1Namespace"],
  "v1/Service": ["v1/Service.js", "V1Service"],
  "apps/v1/StatefulSet": ["apps/v1/StatefulSet.js", "V1StatefulSet"],
  "policy/v1/PodDisruptionBudget": ["policy/v1/PodDisruptionBudget.js", "V1PodDisruptionBudget"],
  "networking.k8s.io/v1/NetworkPolicy": [
    "networking.k8s.io/v1/NetworkPolicy.js",
    "V1NetworkPolicy",
  ],
};

const load = createRequire(__filename);

/**
 * kubernetes-models exports its modules to `import` only, which TypeScript's CommonJS output cannot
 * express; Node loads the same ES modules by file path.
 */
function modelsRoot(): string {
  const dir = load.resolve
    .paths("kubernetes-models")
    ?.find((candidate) => existsSync(path.join(candidate, "kubernetes-models", "package.json")));
  if (!dir) throw new Error("kubernetes-models is not installed: run npm ci");
  return path.join(dir, "kubernetes-models");
}

function schemaModel(modulePath: string, kind: string): ModelConstructor {
  const exports = load(path.join(modelsRoot(), modulePath)) as Record<string, ModelConstructor>;
  return exports[kind];
}

function generatedModel(type: string): GeneratedModel | undefined {
  const candidate = (client as unknown as Record<string, unknown>)[type];
  return typeof candidate === "function" && "getAttributeTypeMap" in candidate
    ? (candidate as unknown as GeneratedModel)
    : undefined;
}

function collectUnknownFields(value: unknown, type: string, at: string, out: string[]): void {
  if (value === undefined || value === null) return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (Array.isArray(value))
      value.forEach((item, i) => collectUnknownFields(item, list[1], `${at}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === "object")
      for (const [key, item] of Object.entries(value))
        collectUnknownFields(item, map[1], `${at}[${JSON.stringify(key)}]`, out);
    return;
  }
  const model = generatedModel(type);
  if (!model || typeof value !== "object") return;
  const attributes = model.getAttributeTypeMap();
  for (const [field, item] of Object.entries(value)) {
    const attribute = attributes.find((a) => a.baseName === field);
    if (attribute) collectUnknownFields(item, attribute.type, `${at}.${field}`, out);
    else out.push(`${at}.${field}`);
  }
}

/** Throws when the object is not valid for its apiVersion and kind, naming every problem found. */
export function validateKubernetesObject(object: { apiVersion?: unknown; kind?: unknown }): void {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const kind = KINDS[key];
  if (!kind) throw new Error(`no schema known for ${key}`);
  const [modulePath, generatedType] = kind;
  const Model = schemaModel(modulePath, String(object.kind));
  new Model(object).validate();
  const unknown: string[] = [];
  collectUnknownFields(object, generatedType, String(object.kind), unknown);
  if (unknown.length > 0) throw new Error(`${key} has unknown fields: ${unknown.join(", ")}`);
}
