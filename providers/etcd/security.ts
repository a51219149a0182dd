/**
 * How the provider proves itself to etcd: a client certificate (TLS, from a Kubernetes Secret or
 * local files) and the root user's password (etcd RBAC, from Pulumi secret config). Both are read
 * at run time and handed to the etcd adapter; neither is captured by the serialized provider.
 */

/** PEM-encoded client certificate, its key, and the CA that signed the members' certificates. */
export interface ClientTLS {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface ClientAuth {
  username: string;
  password: string;
}

export interface ClientSecurity {
  tls?: ClientTLS;
  auth?: ClientAuth;
}
