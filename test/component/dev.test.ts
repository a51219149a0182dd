import { describeStack } from "./stackSuite";

describeStack("dev", {
  auth: false,
  size: 1,
  namespace: "etcd-dev",
  antiAffinity: "preferred",
  storage: { size: "1Gi" },
  resources: { requests: { cpu: "50m", memory: "128Mi" } },
  labels: {},
  annotations: {},
});
