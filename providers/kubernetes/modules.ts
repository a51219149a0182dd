/**
 * Modules loaded when a provider method runs, never at module scope: Pulumi serializes the
 * provider with every local function it reaches, and a module object captured at module scope
 * would be serialized by value (docs/design.md, "Serialization rules"). A `require` inside a function stays a
 * `require` in the serialized text and resolves in the dynamic-provider host.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the point of this module, see above */

export const clientNode = (): typeof import("@kubernetes/client-node") =>
  require("@kubernetes/client-node");

export const cockatiel = (): typeof import("cockatiel") => require("cockatiel");

export const nodeNet = (): typeof import("net") => require("node:net");

export const nodeHttp = (): typeof import("http") => require("node:http");

export const nodeHttps = (): typeof import("https") => require("node:https");

export const nodeCrypto = (): typeof import("crypto") => require("node:crypto");

export const nodeStream = (): typeof import("stream") => require("node:stream");
