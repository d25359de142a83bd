# Sourced by the sandbox-role scripts (sandbox, benchmarks, chaos run): builds the fast-jar when the sources are newer,
# then replaces the shell with the jar in the sandbox role.
#   sandbox_jar LOG_LEVEL_OF_IO_SRIOVLM ARG...
sandbox_jar() {
  local level="$1"
  shift
  local jar=target/quarkus-app/quarkus-run.jar
  if [[ ! -f "$jar" || -n "$(find src pom.xml crds -newer "$jar" -print -quit)" ]]; then
    echo "building sriovlm (mvn package -DskipTests)..." >&2
    mvn -B -q package -DskipTests >&2
  fi
  exec java -Dsriovlm.role=sandbox -Dquarkus.banner.enabled=false -Dquarkus.http.port=0 -Dquarkus.log.level=WARN \
    -Dquarkus.log.category.\"io.sriovlm\".level="$level" -Dquarkus.log.console.stderr=true -jar "$jar" "$@"
}
