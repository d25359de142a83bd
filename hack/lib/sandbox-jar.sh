# Sourced by the sandbox scripts (sandbox, benchmarks, chaos run): builds the sandbox artifact (src/sandbox, with the
# product it runs) when the sources are newer, then replaces the shell with it.
#   control_plane_args auto|yes|no     choose the API: the real control plane when built (auto), built now if
#                                      missing (yes), or the embedded API server (no)
#   sandbox_jar LOG_LEVEL_OF_IO_SRIOVLM ARG...
SANDBOX_JAVA_OPTS=()
control_plane_args() {
  local dir
  case "$1" in
    no) return 0 ;;
    yes) dir=$(hack/build-control-plane.sh) ;;
    auto)
      if ! dir=$(hack/build-control-plane.sh --check 2>/dev/null); then
        echo "no real control plane built (hack/build-control-plane.sh): using the embedded API server" >&2
        return 0
      fi ;;
  esac
  SANDBOX_JAVA_OPTS+=("-Dsriovlm.controlplane.bin=$dir")
}

sandbox_jar() {
  local level="$1"
  shift
  local jar=src/sandbox/target/sriovlm-sandbox.jar
  if [[ ! -f "$jar" || -n "$(find src pom.xml crds -name target -prune -o -newer "$jar" -print -quit)" ]]; then
    echo "building sriovlm and its sandbox (mvn package -DskipTests)..." >&2
    mvn -B -q package -DskipTests >&2
  fi
  exec java "${SANDBOX_JAVA_OPTS[@]}" -Dsriovlm.log="$level" -jar "$jar" "$@"
}
