#!/usr/bin/env bash
# natlab/relay-bench.sh: issue 12's figures through the NAT lab's real NATs (RelayLabBenchmark,
# natlab module): other clients' XConnect and registration with the server idle and while a relay
# runs at full speed (alternating rounds, one run), and the way back to direct after nat2 turns
# from random to port-preserving while a pair is relayed. About 4 minutes. Results appended to
# natlab/target/natlab-relay.txt (or -Dnatlab.relay.out through MVN_ARGS) and printed.
#   natlab/relay-bench.sh [load|direct|all]   (default all)
# Needs root + nftables; run it under `flock /tmp/natlab.lock` on a shared machine (one lab per
# machine). Builds offline with Maven, never installs. Environment: JAVA_HOME, MVN_ARGS.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
case "${1:-all}" in
  load)   TESTS='RelayLabBenchmark#otherClientsHandshakeIdleAndWhileRelaying' ;;
  direct) TESTS='RelayLabBenchmark#backToDirectAfterNat2TurnsPreserving' ;;
  all)    TESTS='RelayLabBenchmark' ;;
  *) echo "usage: natlab/relay-bench.sh [load|direct|all]" >&2; exit 2 ;;
esac
[[ $EUID -eq 0 ]] || { echo "natlab relay-bench: needs root (the lab builds network namespaces)" >&2; exit 1; }
if ip netns list | grep -qE '^xl-'; then
  echo "natlab relay-bench: another NAT lab is up (ip netns list shows xl-*): not started" >&2
  exit 1
fi
trap 'bash "$HERE/lab.sh" down >/dev/null 2>&1 || echo "natlab relay-bench: lab.sh down failed" >&2' EXIT
if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$("$ROOT/xstunt" java-home)"
fi
export JAVA_HOME
[[ "${MAVEN_OPTS:-}" == *sun-misc-unsafe* ]] || export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
cd "$ROOT"
echo "natlab relay-bench: load average $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086  # MVN_ARGS is a list of arguments
mvn -B -q -o ${MVN_ARGS:-} -pl natlab -am test -Dtest="$TESTS" -Dsurefire.failIfNoSpecifiedTests=false
