#!/usr/bin/env bash
# Builds the real Kubernetes control plane the real-control-plane tier and the sandbox run on: kube-apiserver,
# kube-controller-manager and etcd, from the Go module proxy, at the versions pinned in hack/controlplane/go.mod.
# Prints the folder holding the three binaries as its last line of stdout.
#
#   hack/build-control-plane.sh           build (or find already built) and print the folder
#   hack/build-control-plane.sh --check   print the folder if it is built, exit 1 if not; never builds
#
# Cached twice: Go's module and build caches, and the build folder
# ${SRIOVLM_CACHE_DIR:-~/.cache/sriovlm}/control-plane/<kubernetes version>-<hash of go.mod, go.sum and flags>, so a
# second run (also from another clone) builds nothing. A first build on 2 cores with empty Go caches took 4 min 26 s
# (module downloads included; 3.6 GB of Go caches after); with Go's caches warm, about 10 s (a relink).
set -euo pipefail
cd "$(dirname "$0")/controlplane"

mode=build
case "${1:-}" in
    --check) mode=check ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# The only place that names the versions is go.mod.
kube_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' go.mod)
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2; exit }' go.mod)
[ -n "$kube_version" ] && [ -n "$etcd_version" ] || { echo "cannot read the pinned versions from go.mod" >&2; exit 1; }
minor=${kube_version#v1.}
minor=${minor%%.*}

# The binaries report their version in /version (kubectl here picks its own minor by it), so stamp it in as
# Kubernetes' release build does (hack/lib/version.sh there).
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$kube_version"
flags=(-tags providerless -trimpath "-ldflags=$ldflags")

key=$( { cat go.mod go.sum; printf '%s\n' "${flags[@]}"; } | sha256sum | cut -c1-12)
out="${SRIOVLM_CACHE_DIR:-$HOME/.cache/sriovlm}/control-plane/$kube_version-$key"
binaries=(etcd kube-apiserver kube-controller-manager)

built() {
    [ -f "$out/.complete" ] || return 1
    for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done
}

if built; then
    echo "control plane $kube_version (etcd $etcd_version) already built" >&2
    echo "$out"
    exit 0
fi
if [ "$mode" = check ]; then
    echo "control plane $kube_version not built yet: run hack/build-control-plane.sh" >&2
    exit 1
fi

command -v go >/dev/null || { echo "go not found: the control plane is built with Go (>= 1.24)" >&2; exit 1; }
echo "building kube-apiserver and kube-controller-manager $kube_version, etcd $etcd_version into $out" >&2
start=$(date +%s)
mkdir -p "$out"
rm -f "$out/.complete"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
go build "${flags[@]}" -o "$out/etcd" go.etcd.io/etcd/server/v3
go build "${flags[@]}" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build "${flags[@]}" -o "$out/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
touch "$out/.complete"
echo "built in $(( $(date +%s) - start )) s" >&2
echo "$out"
