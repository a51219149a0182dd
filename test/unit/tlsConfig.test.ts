/** The `tls` stack config key, the provider's `tls` input, and the refusal to switch TLS later. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { isValidationError } from "../../model/config/rules";
import { parseStackConfig } from "../../components/stackConfig";
import { checkFixedSettings } from "../../providers/membership/fixedSettings";
import { validateInputs } from "../../model/membership/inputs";
import { BASE_MEMBERSHIP_INPUTS } from "../support/membershipInputs";

const parse = (tls: string) =>
  parseStackConfig({ "etcd-k8s:size": "3", "etcd-k8s:tls": tls }, "etcd-k8s", "staging");

function messages(tls: string): string[] {
  try {
    parse(tls);
  } catch (error) {
    assert.ok(isValidationError(error), String(error));
    return error.violations.map((v) => v.message);
  }
  assert.fail("the config was accepted");
}

const SECRET_RULE =
  'must name a kubernetes.io/tls Secret (keys tls.crt, tls.key, ca.crt) in the cluster\'s namespace when tls.source is "secrets"';

describe("tls config", () => {
  it("is off by default", () => {
    assert.deepEqual(parseStackConfig({ "etcd-k8s:size": "1" }, "etcd-k8s", "dev").tls, {
      enabled: false,
    });
    assert.deepEqual(parse('{"enabled": "false"}').tls, { enabled: false });
  });

  it("with cert-manager: the issuer (kind Issuer by default), Secrets named after the cluster", () => {
    assert.deepEqual(parse('{"enabled": "true", "issuer": {"name": "etcd-ca"}}').tls, {
      enabled: true,
      source: "cert-manager",
      issuer: { name: "etcd-ca", kind: "Issuer" },
      secrets: { server: "etcd-server-tls", peer: "etcd-peer-tls", client: "etcd-client-tls" },
    });
    const cluster = parse(
      '{"enabled": true, "issuer": {"name": "corp-ca", "kind": "ClusterIssuer"}, "secrets": {"client": "provider-tls"}}',
    ).tls;
    assert.ok(cluster.enabled && cluster.source === "cert-manager");
    assert.deepEqual(cluster.issuer, { name: "corp-ca", kind: "ClusterIssuer" });
    assert.equal(cluster.secrets.client, "provider-tls");
  });

  it("with cert-manager: duration and renewBefore as Go durations, cert-manager's defaults when absent", () => {
    const tls = parse(
      '{"enabled": true, "issuer": {"name": "etcd-ca"}, "duration": "2160h", "renewBefore": "1h30m"}',
    ).tls;
    assert.ok(tls.enabled && tls.source === "cert-manager");
    assert.equal(tls.duration, "2160h");
    assert.equal(tls.renewBefore, "1h30m");
    const defaults = parse('{"enabled": true, "issuer": {"name": "etcd-ca"}}').tls;
    assert.ok(defaults.enabled && defaults.source === "cert-manager");
    assert.equal(defaults.duration, undefined);
    assert.equal(defaults.renewBefore, undefined);
  });

  it("refuses a bad duration or renewBefore, naming the key, the value and what is allowed", () => {
    const allowed =
      'must be a positive Go duration in hours, minutes and seconds, e.g. "2160h", "1h30m", "90s"';
    assert.deepEqual(
      messages('{"enabled": true, "issuer": {"name": "ca"}, "duration": "90d", "renewBefore": 30}'),
      [
        `tls.duration: "90d" is not allowed; ${allowed}`,
        `tls.renewBefore: 30 is not allowed; ${allowed}`,
      ],
    );
    assert.deepEqual(messages('{"enabled": true, "issuer": {"name": "ca"}, "duration": "0s"}'), [
      `tls.duration: "0s" is not allowed; ${allowed}`,
    ]);
    assert.deepEqual(
      messages(
        '{"enabled": true, "issuer": {"name": "ca"}, "duration": "1h", "renewBefore": "60m"}',
      ),
      ['tls.renewBefore: "60m" is not allowed; must be shorter than tls.duration (1h)'],
    );
    assert.deepEqual(
      messages(
        '{"enabled": true, "source": "secrets", "secrets": {"server": "s", "peer": "p", "client": "c"}, "duration": "1h"}',
      ),
      [
        'tls.duration: "1h" is not allowed; is used only with tls.source "cert-manager"; certificates from Secrets are renewed by whoever writes them',
      ],
    );
  });

  it("with secrets: the three Secret names", () => {
    const secrets = { server: "etcd-server", peer: "etcd-peer", client: "etcd-provider" };
    assert.deepEqual(parse(JSON.stringify({ enabled: true, source: "secrets", secrets })).tls, {
      enabled: true,
      source: "secrets",
      secrets,
    });
  });

  it("refuses bad values, each with its key, value and what is allowed", () => {
    assert.deepEqual(messages('{"enabled": "yes", "source": "vault", "ca": "x"}'), [
      'tls.ca: "x" is not allowed; unknown key; tls takes enabled, source, issuer, secrets, duration, renewBefore',
      'tls.enabled: "yes" is not allowed; must be true or false',
      'tls.source: "vault" is not allowed; must be one of "cert-manager", "secrets"',
    ]);
    assert.deepEqual(messages('{"enabled": true}'), [
      'tls.issuer.name: (missing) is not allowed; must name the cert-manager Issuer or ClusterIssuer that signs the certificates when tls.source is "cert-manager"',
    ]);
    assert.deepEqual(messages('{"enabled": true, "issuer": {"name": "ca", "kind": "Vault"}}'), [
      'tls.issuer.kind: "Vault" is not allowed; must be one of "Issuer", "ClusterIssuer"',
    ]);
    assert.deepEqual(
      messages(
        '{"enabled": true, "source": "secrets", "issuer": {"name": "ca"}, "secrets": {"server": "Bad_Name", "ca": "x"}}',
      ),
      [
        'tls.issuer: {"name":"ca"} is not allowed; is used only with tls.source "cert-manager"; remove it when the certificates come from Secrets',
        'tls.secrets.ca: "x" is not allowed; unknown key; tls.secrets takes server, peer, client',
        `tls.secrets.server: "Bad_Name" is not allowed; must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters`,
        `tls.secrets.peer: (missing) is not allowed; ${SECRET_RULE}`,
        `tls.secrets.client: (missing) is not allowed; ${SECRET_RULE}`,
      ],
    );
    assert.deepEqual(messages('"on"'), [
      'tls: "on" is not allowed; must be a map such as {"enabled": true, "source": "cert-manager", "issuer": {"name": "etcd-ca"}}',
    ]);
  });
});

describe("tls on the membership provider", () => {
  const base = BASE_MEMBERSHIP_INPUTS;

  it("takes only the client Secret's name", () => {
    assert.deepEqual(validateInputs({ ...base, tls: { clientSecret: "etcd-client-tls" } }), []);
    const rule =
      'must be {"clientSecret": <name of a kubernetes.io/tls Secret in the cluster\'s namespace>}, or left out for plain http';
    assert.deepEqual(
      validateInputs({ ...base, tls: { clientSecret: "x", key: "k" } }).map((v) => v.message),
      [`tls: {"clientSecret":"x","key":"k"} is not allowed; ${rule}`],
    );
    assert.deepEqual(
      validateInputs({ ...base, tls: { clientSecret: "" } }).map((v) => v.message),
      [`tls: {"clientSecret":""} is not allowed; ${rule}`],
    );
  });

  it("refuses switching TLS on or off on a running cluster, saying what to do instead", () => {
    const fixed = (enabled: boolean) => ({
      fixedAtCreation: { "storage.size": "8Gi", "tls.enabled": String(enabled) },
    });
    assert.deepEqual(checkFixedSettings(fixed(false), fixed(false)), []);
    assert.deepEqual(
      checkFixedSettings(fixed(false), fixed(true)).map((v) => v.message),
      [
        'tls.enabled: "true" is not allowed; must stay "false" on a running cluster: every member\'s peer URL (http or https) is kept in etcd\'s own data and cannot be switched in place; to change it, create a new cluster with the wanted tls.enabled and restore a safety snapshot into it',
      ],
    );
    // Created before TLS existed: nothing recorded, nothing to compare.
    assert.deepEqual(
      checkFixedSettings({ fixedAtCreation: { "storage.size": "8Gi" } }, fixed(true)),
      [],
    );
  });
});
