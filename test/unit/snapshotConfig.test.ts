/** The `snapshots` stack config key and the provider's resolved `snapshots` input. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { isValidationError } from "../../model/config/rules";
import { parseStackConfig } from "../../components/stackConfig";
import { validateInputs } from "../../model/membership/inputs";
import { BASE_MEMBERSHIP_INPUTS } from "../support/membershipInputs";

const parse = (snapshots: string) =>
  parseStackConfig({ "etcd-k8s:size": "3", "etcd-k8s:snapshots": snapshots }, "etcd-k8s", "dev");

function messages(snapshots: string): string[] {
  try {
    parse(snapshots);
  } catch (error) {
    assert.ok(isValidationError(error), String(error));
    return error.violations.map((v) => v.message);
  }
  assert.fail("the config was accepted");
}

describe("snapshots config", () => {
  it("is on by default, keeping 5, in the default directory", () => {
    const settings = parseStackConfig({ "etcd-k8s:size": "1" }, "etcd-k8s", "dev");
    assert.deepEqual(settings.snapshots, { enabled: true, keep: 5 });
  });

  it("takes enabled, directory and keep, also as the text `config set --path` may store", () => {
    assert.deepEqual(
      parse('{"enabled":"false","directory":"backups/etcd","keep":"12"}').snapshots,
      {
        enabled: false,
        directory: "backups/etcd",
        keep: 12,
      },
    );
  });

  it("refuses bad values, each with its key, value and what is allowed", () => {
    assert.deepEqual(messages('{"enabled":"yes","directory":"","keep":0,"kept":3}'), [
      "snapshots.kept: 3 is not allowed; unknown key; snapshots takes enabled, directory, keep",
      'snapshots.enabled: "yes" is not allowed; must be true or false',
      "snapshots.keep: 0 is not allowed; must be a whole number from 1 to 100 (how many snapshots to keep)",
      'snapshots.directory: "" is not allowed; must be a directory path, e.g. "snapshots/prod/etcd"',
    ]);
    assert.deepEqual(messages('{"keep":101}'), [
      "snapshots.keep: 101 is not allowed; must be a whole number from 1 to 100 (how many snapshots to keep)",
    ]);
    assert.deepEqual(messages('"on"'), [
      'snapshots: "on" is not allowed; must be a map such as {"enabled": true, "directory": "snapshots/prod/etcd", "keep": 5}',
    ]);
  });

  it("the provider input needs an absolute directory and a count", () => {
    const base = BASE_MEMBERSHIP_INPUTS;
    assert.deepEqual(
      validateInputs({ ...base, snapshots: { directory: "/var/snap", keep: 3 } }),
      [],
    );
    assert.deepEqual(
      validateInputs({ ...base, snapshots: { directory: "snap", keep: 1.5 } }).map(
        (v) => v.message,
      ),
      [
        'snapshots.directory: "snap" is not allowed; must be an absolute directory path',
        "snapshots.keep: 1.5 is not allowed; must be a whole number from 1 to 100 (how many snapshots to keep)",
      ],
    );
  });
});
