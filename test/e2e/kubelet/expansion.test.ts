import * as assert from "node:assert/strict";
import { test } from "node:test";
import { expand, mappingFor } from "./expansion";

// Cases from Kubernetes' own expansion tests (third_party/forked/golang/expansion/expand_test.go).
test("$(VAR) expansion follows Kubernetes' rules", () => {
  const vars = new Map([
    ["VAR_A", "A"],
    ["VAR_B", "B"],
    ["VAR_C", "C"],
    ["VAR_REF", "$(VAR_A)"],
    ["VAR_EMPTY", ""],
  ]);
  const mapping = mappingFor(vars, new Map([["SERVICE_HOST", "10.0.0.7"]]));
  const cases: [string, string][] = [
    ["$(VAR_A)", "A"],
    ["___$(VAR_B)___", "___B___"],
    ["$(VAR_A)-$(VAR_B)-$(VAR_C)", "A-B-C"],
    ["$(VAR_REF)", "$(VAR_A)"],
    ["$$(VAR_B)", "$(VAR_B)"],
    ["$$$(VAR_B)", "$B"],
    ["$(VAR_EMPTY)", ""],
    ["$(UNDEFINED)", "$(UNDEFINED)"],
    ["$(VAR_A", "$(VAR_A"],
    ["$VAR_A", "$VAR_A"],
    ["trailing $", "trailing $"],
    ["$(SERVICE_HOST):2379", "10.0.0.7:2379"],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, mapping), want, input);
});
