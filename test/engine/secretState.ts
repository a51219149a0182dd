/**
 * Secrets in the emulated checkpoint, as the Pulumi engine keeps them: a secret value is stored as
 * `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}`,
 * encrypted with the stack's key, and handed to a provider that does not accept secrets in clear.
 * The key (AES-256-GCM) lives in a file of the state directory, standing in for the stack's
 * secrets provider.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Props } from "./providerProcess";

export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

const isSecret = (value: unknown): value is Props =>
  typeof value === "object" &&
  value !== null &&
  (value as Props)[SIGNATURE_KEY] === SECRET_SIGNATURE;

/** Inputs as the program registered them (secrets wrapped), split into plain values and secret keys. */
export function unwrapSecrets(props: Props): { plain: Props; secretKeys: string[] } {
  const secretKeys = Object.keys(props).filter((k) => isSecret(props[k]));
  const plain = Object.fromEntries(
    Object.entries(props).map(([k, v]) => [k, isSecret(v) ? v.value : v]),
  );
  return { plain, secretKeys };
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(stateDir: string) {
    const file = path.join(stateDir, "secrets.key");
    if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(32), { mode: 0o600 });
    this.key = fs.readFileSync(file);
  }

  /** `props` with the values under `keys` encrypted (secret keys are kept inside the state). */
  seal(props: Props, keys: readonly string[]): Props {
    return Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, keys.includes(k) ? this.encrypt(v) : v]),
    );
  }

  open(props: Props): Props {
    return Object.fromEntries(
      Object.entries(props).map(([k, v]) => [
        k,
        isSecret(v) ? this.decrypt(String(v.ciphertext)) : v,
      ]),
    );
  }

  private encrypt(value: unknown): Props {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    const ciphertext = Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    return { [SIGNATURE_KEY]: SECRET_SIGNATURE, ciphertext };
  }

  private decrypt(ciphertext: string): unknown {
    const raw = Buffer.from(ciphertext, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    return JSON.parse(text.toString("utf8")) as unknown;
  }
}
