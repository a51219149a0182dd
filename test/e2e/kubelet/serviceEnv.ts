/**
 * The service-link environment the kubelet gives every container (pkg/kubelet/envvars): for the
 * `kubernetes` Service of the default namespace always, and for each Service with a cluster IP in
 * the pod's namespace unless `enableServiceLinks: false`.
 */
import type { V1Service } from "@kubernetes/client-node";

const envName = (name: string): string => name.replace(/-/g, "_").toUpperCase();

const hasClusterIP = (s: V1Service): boolean =>
  s.spec?.clusterIP !== undefined && s.spec.clusterIP !== "" && s.spec.clusterIP !== "None";

function serviceVariables(service: V1Service): [string, string][] {
  const name = envName(service.metadata?.name ?? "");
  const ip = service.spec?.clusterIP ?? "";
  const ports = service.spec?.ports ?? [];
  if (ports.length === 0) return [];
  const hostPort = (port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
  const vars: [string, string][] = [
    [`${name}_SERVICE_HOST`, ip],
    [`${name}_SERVICE_PORT`, String(ports[0].port)],
  ];
  for (const port of ports) {
    if (port.name) vars.push([`${name}_SERVICE_PORT_${envName(port.name)}`, String(port.port)]);
  }
  ports.forEach((port, index) => {
    const protocol = (port.protocol ?? "TCP").toLowerCase();
    const url = `${protocol}://${hostPort(port.port)}`;
    if (index === 0) vars.push([`${name}_PORT`, url]);
    const prefix = `${name}_PORT_${port.port}_${protocol.toUpperCase()}`;
    vars.push(
      [prefix, url],
      [`${prefix}_PROTO`, protocol],
      [`${prefix}_PORT`, String(port.port)],
      [`${prefix}_ADDR`, ip],
    );
  });
  return vars;
}

export function serviceEnvironment(
  services: readonly V1Service[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const chosen = new Map<string, V1Service>();
  for (const service of services) {
    if (!hasClusterIP(service)) continue;
    const name = service.metadata?.name ?? "";
    const ns = service.metadata?.namespace;
    if (ns === "default" && name === "kubernetes") {
      if (!chosen.has(name)) chosen.set(name, service);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, service);
    }
  }
  return new Map([...chosen.values()].flatMap(serviceVariables));
}
