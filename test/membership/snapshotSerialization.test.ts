/**
 * Module values the provider captures are serialized by value; a Set came back as a plain object
 * and broke every run that takes a safety snapshot (found end to end). The decision must survive.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { changesMembership } from "../../providers/membership/safetySnapshot";
import type { Step } from "../../providers/membership/steps";

const file = path.join(__dirname, "..", "tmp", `serialized-snapshot-${process.pid}.js`);
after(() => fs.rmSync(file, { force: true }));

it("which steps change membership is decided the same after serialization", async () => {
  const serialized = await pulumi.runtime.serializeFunction(() => changesMembership);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, serialized.text);
  const loaded = (await import(file)) as Record<string, () => typeof changesMembership>;
  const revived = loaded[serialized.exportName]();
  for (const kind of ["add-learner", "promote", "move-leader", "remove-member", "scale"])
    assert.equal(revived({ kind } as Step), changesMembership({ kind } as Step), kind);
  assert.equal(revived({ kind: "promote" } as Step), true);
});
