import * as assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { countSetting } from "./settings";

const NAME = "BENCH_SETTINGS_TEST_COUNT";
afterEach(() => delete process.env[NAME]);

test("an unset or empty setting is the default; a whole number of 1 or more is taken", () => {
  assert.equal(countSetting(NAME, 3), 3);
  process.env[NAME] = "";
  assert.equal(countSetting(NAME, 3), 3);
  process.env[NAME] = "7";
  assert.equal(countSetting(NAME, 3), 7);
});

test("anything else is refused, naming the variable, the value and what is allowed", () => {
  for (const value of ["0", "-2", "1.5", "three", "1e400"]) {
    process.env[NAME] = value;
    assert.throws(
      () => countSetting(NAME, 3),
      new Error(`${NAME}=${JSON.stringify(value)} is not allowed: a whole number, 1 or more`),
    );
  }
});
