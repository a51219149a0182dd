/**
 * What TLS adds to the pod: the server and peer certificate Secrets mounted read-only, and etcd's
 * TLS settings pointing at them. Client and peer connections both require a certificate signed by
 * the CA in the Secret (mutual TLS); the metrics listener stays plain http, so the probes need no
 * certificate.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as kx from "@pulumi/kubernetesx";
import type { ClusterSettings, TlsSecretNames } from "../../model/config/settings";

/** The keys of a `kubernetes.io/tls` Secret, as cert-manager writes them. */
export const TLS_CERT_KEY = "tls.crt";
export const TLS_KEY_KEY = "tls.key";
export const TLS_CA_KEY = "ca.crt";

export const SERVER_TLS_VOLUME = "server-tls";
export const PEER_TLS_VOLUME = "peer-tls";
export const SERVER_TLS_DIR = "/etc/etcd/tls/server";
export const PEER_TLS_DIR = "/etc/etcd/tls/peer";
/** Owner and group (fsGroup) read only: the files hold private keys. */
export const TLS_FILE_MODE = 0o440;

export const tlsSecrets = (settings: ClusterSettings): TlsSecretNames | undefined =>
  settings.tls.enabled ? settings.tls.secrets : undefined;

/** etcd re-reads these files on every handshake, so a renewed certificate needs no restart. */
export function tlsEnvironment(settings: ClusterSettings): kx.types.EnvMap {
  if (!settings.tls.enabled) return {};
  return {
    ETCD_CERT_FILE: `${SERVER_TLS_DIR}/${TLS_CERT_KEY}`,
    ETCD_KEY_FILE: `${SERVER_TLS_DIR}/${TLS_KEY_KEY}`,
    ETCD_TRUSTED_CA_FILE: `${SERVER_TLS_DIR}/${TLS_CA_KEY}`,
    ETCD_CLIENT_CERT_AUTH: "true",
    ETCD_PEER_CERT_FILE: `${PEER_TLS_DIR}/${TLS_CERT_KEY}`,
    ETCD_PEER_KEY_FILE: `${PEER_TLS_DIR}/${TLS_KEY_KEY}`,
    ETCD_PEER_TRUSTED_CA_FILE: `${PEER_TLS_DIR}/${TLS_CA_KEY}`,
    ETCD_PEER_CLIENT_CERT_AUTH: "true",
  };
}

export function tlsVolumeMounts(settings: ClusterSettings): k8s.types.input.core.v1.VolumeMount[] {
  if (!settings.tls.enabled) return [];
  return [
    { name: SERVER_TLS_VOLUME, mountPath: SERVER_TLS_DIR, readOnly: true },
    { name: PEER_TLS_VOLUME, mountPath: PEER_TLS_DIR, readOnly: true },
  ];
}

export function tlsVolumes(settings: ClusterSettings): k8s.types.input.core.v1.Volume[] {
  const secrets = tlsSecrets(settings);
  if (!secrets) return [];
  const volume = (name: string, secretName: string) => ({
    name,
    secret: { secretName, defaultMode: TLS_FILE_MODE },
  });
  return [volume(SERVER_TLS_VOLUME, secrets.server), volume(PEER_TLS_VOLUME, secrets.peer)];
}
