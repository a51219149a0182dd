# Source it (`source scripts/env.sh`) to work with this project by hand: Node 24 and the Pulumi CLI
# that scripts/setup.sh built (unless you have your own on PATH), its PULUMI_HOME with the
# Kubernetes plugin, and no update checks or plugin downloads.
_etcd_k8s_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x "$_etcd_k8s_root/.tools/node/bin/node" ]; then export PATH="$_etcd_k8s_root/.tools/node/bin:$PATH"; fi
if ! command -v pulumi >/dev/null 2>&1 && [ -x "$_etcd_k8s_root/.tools/pulumi/bin/pulumi" ]; then
  export PATH="$_etcd_k8s_root/.tools/pulumi/bin:$PATH"
  export PULUMI_HOME="$_etcd_k8s_root/.tools/pulumi/home"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
fi
export PULUMI_SKIP_UPDATE_CHECK=true
unset _etcd_k8s_root
