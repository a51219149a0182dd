import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { checkMetadataKey, quantityValue } from "../../model/config/kubernetesRules";

describe("Kubernetes value rules", () => {
  it("reads quantities in base units, binary and decimal suffixes and exponents", () => {
    assert.equal(quantityValue("1Gi"), 2 ** 30);
    assert.equal(quantityValue("512Mi"), 512 * 2 ** 20);
    assert.equal(quantityValue(".5Ki"), 512);
    assert.equal(quantityValue("250m"), 0.25);
    assert.equal(quantityValue("2"), 2);
    assert.equal(quantityValue("1.5G"), 1.5e9);
    assert.equal(quantityValue("1e3"), 1000);
    assert.equal(quantityValue("1 Gi"), undefined);
    assert.equal(quantityValue("1gi"), undefined);
  });

  it("accepts label keys with and without a DNS prefix, and refuses the rest", () => {
    for (const key of ["team", "example.com/team", "a.b_c-d", "app.kubernetes.io/part-of"])
      assert.equal(checkMetadataKey("labels", key), undefined, key);
    for (const key of [
      "",
      "/team",
      "example.com/",
      "Example.com/team",
      "team-",
      "t".repeat(64),
      `${"p".repeat(254)}/team`,
      "a/b/c",
    ])
      assert.notEqual(checkMetadataKey("labels", key), undefined, key);
  });
});
