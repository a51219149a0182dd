import { describeStack } from "./stackSuite";

describeStack("prod", {
  auth: true,
  size: 5,
  namespace: "etcd-prod",
  antiAffinity: "required",
  storage: { size: "20Gi", className: "ssd" },
  resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "2Gi" } },
  labels: { environment: "prod", team: "platform" },
  tlsIssuer: { name: "etcd-ca", kind: "Issuer" },
  annotations: { "example.com/owner": "platform-team" },
  networkPolicy: {
    client: [
      {
        namespaceSelector: { matchLabels: { environment: "prod" } },
        podSelector: { matchLabels: { "etcd-client": "true" } },
      },
    ],
    metrics: [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ],
  },
});
