/**
 * A refusal must reach the user with its message after Pulumi has serialized the provider: the
 * engine prints the `message` of what the provider throws. Pulumi rewrites a class's `super(...)`
 * as `__super.call(this, ...)`, which for a subclass of Error yields an object without a message
 * (the end-to-end run showed "undefined" for every refusal); hence plain Errors only.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesMembershipProvider } from "../../providers/kubernetesMembership";
import { isMembershipRefusal, membershipRefusal } from "../../providers/membership/reconciler";

describe("refusals through Pulumi's function serialization", () => {
  const file = path.join(__dirname, "..", "tmp", `serialized-refusal-${process.pid}.js`);
  after(() => fs.rmSync(file, { force: true }));

  it("keep their message and name", async () => {
    const refuse = () => {
      throw membershipRefusal("StatefulSet db/etcd", "the cluster is not healthy");
    };
    const serialized = await pulumi.runtime.serializeFunction(() => refuse);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serialized.text);
    const loaded = (await import(file)) as Record<string, () => () => never>;
    assert.throws(loaded[serialized.exportName](), (error: Error) => {
      assert.equal(
        error.message,
        "[etcd membership] StatefulSet db/etcd: refused: the cluster is not healthy",
      );
      assert.ok(isMembershipRefusal(error));
      return true;
    });
  });

  it("the serialized production provider subclasses no built-in class", async () => {
    const provider = kubernetesMembershipProvider;
    const serialized = await pulumi.runtime.serializeFunction(() => provider, {
      allowSecrets: true,
    });
    assert.doesNotMatch(serialized.text, /__super: global\./);
  });
});
