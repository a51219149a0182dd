/** Secret volumes of the process kubelet: files, modes, fsGroup, items, updates and refusals. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { writeSecretVolume } from "./secretVolume";

const secret = (data: Record<string, string>): V1Secret => ({
  metadata: { name: "certs", namespace: "db" },
  data: Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
  ),
});

describe("secret volumes", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "kubelet-secret-"));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  /** The names a container sees: without the kubelet's `..data` and generation directories. */
  const visible = (dir: string) => fs.readdirSync(dir).filter((f) => !f.startsWith(".."));
  const read = (dir: string) =>
    Object.fromEntries(
      visible(dir)
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
    );
  const mode = (file: string) => fs.statSync(file).mode & 0o7777;

  it("writes one file per key with the default mode 0644", () => {
    const dir = path.join(root, "plain");
    assert.equal(
      writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "C", "ca.crt": "A" })),
      undefined,
    );
    assert.deepEqual(read(dir), { "ca.crt": "A", "tls.crt": "C" });
    assert.equal(mode(path.join(dir, "tls.crt")), 0o644);
  });

  it("applies defaultMode, and with an fsGroup makes the files the group's and group-readable", () => {
    const dir = path.join(root, "group");
    writeSecretVolume(
      dir,
      { secretName: "certs", defaultMode: 0o400 },
      secret({ "tls.key": "K" }),
      4242,
    );
    const info = fs.statSync(path.join(dir, "tls.key"));
    assert.equal(info.mode & 0o7777, 0o440);
    assert.equal(info.gid, 4242);
  });

  it("maps items to paths with their own mode", () => {
    const dir = path.join(root, "items");
    const source = {
      secretName: "certs",
      items: [{ key: "tls.crt", path: "server/cert.pem", mode: 0o600 }],
    };
    writeSecretVolume(dir, source, secret({ "tls.crt": "C", "tls.key": "K" }));
    assert.deepEqual(visible(dir), ["server"]);
    assert.equal(fs.readFileSync(path.join(dir, "server", "cert.pem"), "utf8"), "C");
    assert.equal(mode(path.join(dir, "server", "cert.pem")), 0o600);
  });

  it("follows the Secret: changed keys rewritten, removed keys deleted", () => {
    const dir = path.join(root, "update");
    writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "old", extra: "x" }));
    const before = fs.statSync(path.join(dir, "tls.crt")).ino;
    writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "new" }));
    assert.deepEqual(read(dir), { "tls.crt": "new" });
    assert.notEqual(fs.statSync(path.join(dir, "tls.crt")).ino, before, "replaced by a rename");
    const unchanged = fs.statSync(path.join(dir, "tls.crt")).ino;
    writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "new" }));
    assert.equal(
      fs.statSync(path.join(dir, "tls.crt")).ino,
      unchanged,
      "same content: not rewritten",
    );
  });

  it("refuses a missing Secret or key as the kubelet does, unless optional, touching nothing", () => {
    const dir = path.join(root, "missing");
    assert.equal(
      writeSecretVolume(dir, { secretName: "certs" }, undefined),
      'secret "certs" not found',
    );
    assert.equal(fs.existsSync(dir), false);
    assert.equal(
      writeSecretVolume(
        dir,
        { secretName: "certs", items: [{ key: "ca.crt", path: "ca.crt" }] },
        secret({}),
      ),
      `couldn't find key ca.crt in Secret "certs"`,
    );
    assert.equal(
      writeSecretVolume(dir, { secretName: "certs", optional: true }, undefined),
      undefined,
    );
    assert.deepEqual(visible(dir), []);
  });

  it("swaps a new content in all at once: every file through one generation, the old one removed", () => {
    const dir = path.join(root, "atomic");
    const generationOf = (file: string) => path.dirname(fs.realpathSync(path.join(dir, file)));
    writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "C1", "tls.key": "K1" }));
    const first = generationOf("tls.crt");
    assert.equal(generationOf("tls.key"), first);
    assert.equal(fs.readlinkSync(path.join(dir, "tls.crt")), path.join("..data", "tls.crt"));
    writeSecretVolume(dir, { secretName: "certs" }, secret({ "tls.crt": "C2", "tls.key": "K2" }));
    const second = generationOf("tls.crt");
    assert.notEqual(second, first, "a new generation");
    assert.equal(generationOf("tls.key"), second, "certificate and key from the same generation");
    assert.equal(fs.existsSync(first), false, "the old generation is removed");
    assert.deepEqual(read(dir), { "tls.crt": "C2", "tls.key": "K2" });
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith("..")).length,
      2,
      "only ..data and its generation",
    );
  });

  it("refuses an item path starting with '..', which would clash with ..data", () => {
    const dir = path.join(root, "dotdot");
    assert.match(
      writeSecretVolume(
        dir,
        { secretName: "certs", items: [{ key: "tls.crt", path: "..data" }] },
        secret({ "tls.crt": "C" }),
      ) ?? "",
      /must be relative, without '\.\.' and not start with '\.\.'/,
    );
    assert.equal(fs.existsSync(dir), false);
  });
});
