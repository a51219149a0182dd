/**
 * Starts the control plane and the process kubelet and keeps them up until Ctrl-C, for working by
 * hand against them: `node dist/test/e2e/up.js`, then use the printed KUBECONFIG.
 */
import { startControlPlane } from "./controlPlane";
import { startKubelet } from "./kubelet";

async function main(): Promise<void> {
  const controlPlane = await startControlPlane();
  const kubelet = await startKubelet({
    kubeconfig: controlPlane.kubeconfig,
    kubeletCA: controlPlane.kubeletCA,
  }).catch(async (error) => {
    await controlPlane.stop();
    throw error;
  });
  console.log(`Kubernetes ${controlPlane.version} at ${controlPlane.server}`);
  console.log(`export KUBECONFIG=${controlPlane.kubeconfigPath}`);
  console.log(
    `control-plane logs: ${controlPlane.workDir}/logs; pod logs: ${kubelet.rootDir}/pods`,
  );
  console.log("Ctrl-C stops everything.");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void kubelet
      .stop()
      .then(() => controlPlane.stop())
      .then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
