/** Pure construction of member client URLs for the `pod-ip` and `endpoints` access modes. */
import { CLIENT_PORT, type MemberSlot } from "../../model/naming";

/** `http(s)://<podIP>:2379`; IPv6 pod IPs are bracketed as URLs require. */
export function podIPClientURL(podIP: string, tls = false): string {
  const host = podIP.includes(":") ? `[${podIP}]` : podIP;
  return `${tls ? "https" : "http"}://${host}:${CLIENT_PORT}`;
}

function isHttpURL(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** `endpointTemplate` with every `{ordinal}` and `{name}` replaced by the member's. */
export function templateClientURL(template: string, slot: MemberSlot): string {
  const url = template
    .replaceAll("{ordinal}", String(slot.ordinal))
    .replaceAll("{name}", slot.name);
  if (!isHttpURL(url)) {
    throw new Error(
      `endpointTemplate: ${JSON.stringify(template)} gives ${JSON.stringify(url)} for ${slot.name}, which is not an http:// or https:// URL with a host; use e.g. "https://{name}.etcd.example.com:2379"`,
    );
  }
  return url;
}
