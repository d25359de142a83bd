#!/usr/bin/env bash
# Runs the sriovlm sandbox: the operator and two simulated hypervisors (hv1, hv2) with their node agents, in one
# process, against a Kubernetes API. Writes target/sandbox/kubeconfig for kubectl.
#   hack/sandbox.sh                      run until Ctrl-C
#   hack/sandbox.sh --demo               migrate vm-01 to hv2, print the phase timeline, exit 0 only on success
#   hack/sandbox.sh --real-control-plane build the real control plane first if needed (hack/build-control-plane.sh)
#   hack/sandbox.sh --embedded           use the in-process API server even when the real one is built
# Which API: a real kube-apiserver + etcd + kube-controller-manager (the product installed from config/ with kubectl,
# RBAC and admission on) once hack/build-control-plane.sh has built them, else the embedded API server. The first
# line of output says which; README.md lists what kubectl can and cannot do on each.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
real=auto
for a in "$@"; do
  case "$a" in
    --real-control-plane) real=yes ;;
    --embedded) real=no; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
. hack/lib/sandbox-jar.sh
control_plane_args "$real"
sandbox_jar INFO "${args[@]}"
