import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { HostsFile } from "./hosts";

const etcd0 = { ip: "127.1.1.1", names: ["etcd-0.etcd-peer.db.svc.cluster.local"] };
const etcd1 = { ip: "127.1.1.2", names: ["etcd-1.etcd-peer.db.svc.cluster.local"] };

function withFile(content: string, body: (file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hosts-test-"));
  const file = path.join(dir, "hosts");
  fs.writeFileSync(file, content);
  return body(file).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

test("restore leaves the hosts file byte for byte as found, even without a final newline", () =>
  withFile("127.0.0.1 localhost\n::1 localhost", async (file) => {
    const hosts = new HostsFile(file, "node-a");
    await hosts.write([etcd0]);
    assert.match(
      fs.readFileSync(file, "utf8"),
      /^::1 localhost\n# BEGIN .*\n127\.1\.1\.1\tetcd-0\./m,
    );
    await hosts.restore();
    assert.equal(fs.readFileSync(file, "utf8"), "127.0.0.1 localhost\n::1 localhost");
  }));

test("the block is replaced in place; stale blocks go; other edits survive", () => {
  const stale =
    "# BEGIN etcd-k8s process-kubelet pid 999999999 n\n1.2.3.4\told\n# END etcd-k8s process-kubelet pid 999999999 n\n";
  return withFile(`127.0.0.1 localhost\n${stale}::1 localhost\n`, async (file) => {
    const hosts = new HostsFile(file, "node-a");
    await hosts.write([etcd0]);
    await hosts.write([etcd0, etcd1]);
    const text = fs.readFileSync(file, "utf8");
    assert.match(text, /^127\.1\.1\.2\tetcd-1\.etcd-peer\.db\.svc\.cluster\.local$/m);
    assert.equal(text.match(/127\.1\.1\.1/g)?.length, 1);
    assert.doesNotMatch(text, /old/);
    fs.appendFileSync(file, "10.9.9.9 other\n");
    await hosts.restore();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      "127.0.0.1 localhost\n::1 localhost\n10.9.9.9 other\n",
    );
  });
});
