/**
 * The `auth` settings through the stack config: off by default, a password required when on, rules
 * whose messages name the key and what is allowed but never the value, and a secret kept secret.
 */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../components/stackConfig";
import { checkClusterArgs } from "../../model/config/settings";
import { isValidationError } from "../../model/config/rules";
import { createMembershipProvider } from "../../providers/membership/provider";
import { BASE_MEMBERSHIP_INPUTS } from "../support/membershipInputs";

const SECRET = "a-secret-value-that-must-not-show";

function refusal(config: Record<string, string>): string {
  try {
    parseStackConfig({ "etcd-k8s:size": "3", ...config }, "etcd-k8s", "staging");
  } catch (error) {
    assert.ok(isValidationError(error));
    return error.message;
  }
  assert.fail("the config was accepted");
}

describe("auth config", () => {
  it("is off unless enabled, and then carries the password", () => {
    const off = parseStackConfig({ "etcd-k8s:size": "1" }, "etcd-k8s", "dev");
    assert.deepEqual(off.auth, { enabled: false });
    const on = parseStackConfig(
      {
        "etcd-k8s:size": "3",
        "etcd-k8s:auth": JSON.stringify({ enabled: true, rootPassword: SECRET }),
      },
      "etcd-k8s",
      "prod",
    );
    assert.deepEqual(on.auth, { enabled: true, rootPassword: SECRET });
  });

  it("refuses auth on without a password, saying how to set one", () => {
    assert.match(
      refusal({ "etcd-k8s:auth": '{"enabled":true}' }),
      /auth\.rootPassword: \(missing\) is not allowed; must be set when auth\.enabled is true: pulumi config set --secret --path auth\.rootPassword <password>/,
    );
  });

  for (const [what, password] of [
    ["too short", "short-11chr"],
    ["too long", "x".repeat(129)],
    ["with a line break", `${SECRET}\n`],
    ["not text", 123456789012345],
  ] as const)
    it(`refuses a password ${what} without showing it`, () => {
      const message = refusal({
        "etcd-k8s:auth": JSON.stringify({ enabled: true, rootPassword: password }),
      });
      assert.match(
        message,
        /auth\.rootPassword: the value given \(secret, not shown\) is not allowed; must be text of 12 to 128 characters without control characters/,
      );
      assert.ok(!message.includes(String(password).trim()), "the value is not in the message");
    });

  it("never shows values of unknown auth keys or of auth keys set without --path", () => {
    const misspelt = refusal({
      "etcd-k8s:auth": JSON.stringify({ enabled: true, rootPasword: SECRET, rootPassword: SECRET }),
    });
    assert.match(
      misspelt,
      /auth\.rootPasword: .*unknown key; the keys of auth are enabled, rootPassword/,
    );
    const withoutPath = refusal({ "etcd-k8s:auth.rootPassword": SECRET });
    assert.match(withoutPath, /auth\.rootPassword: .*set the fields of auth with --path/);
    const notAnObject = refusal({ "etcd-k8s:auth": SECRET });
    assert.match(notAnObject, /auth: .*must be an object with enabled and rootPassword/);
    for (const message of [misspelt, withoutPath, notAnObject])
      assert.ok(!message.includes(SECRET));
  });

  it("leaves a password that resolves later to the provider's check", () => {
    const later = Promise.resolve(SECRET);
    const { settings, violations } = checkClusterArgs(
      { size: 3, auth: { enabled: true, rootPassword: later } },
      "etcd",
    );
    assert.deepEqual(violations, []);
    assert.equal(settings?.auth.rootPassword, later);
  });
});

describe("the membership provider's check of rootPassword", () => {
  it("refuses a bad password with the same rule, without the value", async () => {
    const provider = createMembershipProvider(() => assert.fail("check reaches no workload"));
    const news = {
      ...BASE_MEMBERSHIP_INPUTS,
      rootPassword: "short-pw",
    };
    const { failures } = await provider.check!({}, news);
    assert.deepEqual(
      failures?.map((f) => f.property),
      ["rootPassword"],
    );
    assert.match(failures?.[0].reason ?? "", /rootPassword: the value given \(secret, not shown\)/);
    assert.ok(!JSON.stringify(failures).includes("short-pw"));
  });
});
