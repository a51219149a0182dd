import { describeStack } from "./stackSuite";

describeStack("staging", {
  auth: true,
  size: 3,
  namespace: "etcd-staging",
  antiAffinity: "preferred",
  storage: { size: "4Gi" },
  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  labels: { environment: "staging" },
  tlsIssuer: { name: "etcd-ca", kind: "Issuer" },
  annotations: {},
  networkPolicy: {
    client: [
      {
        namespaceSelector: { matchLabels: { environment: "staging" } },
        podSelector: { matchLabels: { "etcd-client": "true" } },
      },
    ],
    metrics: [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ],
  },
});
