/**
 * Certificates made in the test, the way cert-manager would issue them: a self-signed CA, and
 * ECDSA P-256 leaf certificates signed by it with the names and usages asked for. @peculiar/x509
 * over Node's WebCrypto; everything comes out as PEM, ready for etcd's files or a Secret.
 */
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** PEM certificate of the CA that signed it. */
  ca: string;
}

export interface LeafRequest {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Extended key usages: a server certificate, a client certificate, or both (peers). */
  usages: ("server" | "client")[];
}

export interface TestCA {
  /** PEM certificate of the CA. */
  cert: string;
  /** PEM PKCS#8 private key of the CA: for an issuer that signs with it, such as cert-manager's CA Issuer. */
  key: string;
  issue(request: LeafRequest): Promise<IssuedCertificate>;
}

const generateKeys = () =>
  webcrypto.subtle.generateKey(ALGORITHM, true, [
    "sign",
    "verify",
  ]) as Promise<webcrypto.CryptoKeyPair>;

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

const validity = () => ({
  notBefore: new Date(Date.now() - DAY_MS),
  notAfter: new Date(Date.now() + 30 * DAY_MS),
});

export async function createTestCA(commonName: string): Promise<TestCA> {
  const caKeys = await generateKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = caCert.toString("pem");
  return {
    cert: ca,
    key: await privateKeyPem(caKeys.privateKey),
    async issue(request) {
      const keys = await generateKeys();
      const names = [
        ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ];
      const usages = request.usages.map((u) =>
        u === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      );
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${request.commonName}`,
        issuer: caCert.subject,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        ...validity(),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(usages),
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      return { cert: cert.toString("pem"), key: await privateKeyPem(keys.privateKey), ca };
    },
  };
}

/** The serial number of a PEM certificate (hex), to tell two certificates apart. */
export function serialOf(pem: string): string {
  return new x509.X509Certificate(pem).serialNumber;
}
