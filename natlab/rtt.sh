#!/usr/bin/env bash
# natlab/rtt.sh: issue #4 item 5 and issue 15, the handshake in round trips through the NAT lab's
# real NATs, FAST and RACE (ours) and ORIGINAL (XSTUNT 1.0) in the same run (HandshakeRttBenchmark,
# natlab module).
#   natlab/rtt.sh --short   10 ms on the NAT links, 3 warm handshakes per strategy; about 30 s;
#                           results in natlab/target/natlab-rtt-short.txt
#   natlab/rtt.sh --full    0 (floor), 10, 25, 50 ms, two topologies, 10 warm handshakes each;
#                           about 15 min; results in docs/performance-runs/<UTC>-natlab-rtt.txt
#   natlab/rtt.sh --extra   unequal server distances (5 / 40 ms) and 25 ms with 1 % loss;
#                           results in docs/performance-runs/<UTC>-natlab-rtt-extra.txt
# Needs root + nftables (the lab builds network namespaces); without them it says "skipped" and
# exits 0, or 1 under CI (CI set to anything but empty or "false"). Refuses to start while another
# lab is up (one lab per machine);
# the lab is always taken down at the end. Builds offline with Maven, never installs.
# Environment: JAVA_HOME (a JDK >= 21; ./xstunt finds one), MVN_ARGS (extra Maven arguments).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
MODE="${1:---short}"
case "$MODE" in
  --short|--full|--extra) ;;
  *) echo "usage: natlab/rtt.sh [--short|--full|--extra]" >&2; exit 2 ;;
esac

missing=""
[[ $EUID -eq 0 ]] || missing="not root"
for t in nft ip ping conntrack; do
  command -v "$t" >/dev/null 2>&1 || missing="${missing:+$missing, }$t not found (natlab/install-deps.sh)"
done
if [[ -n $missing ]]; then
  echo "natlab rtt: skipped: needs root + nftables ($missing)"
  ci="$(printf '%s' "${CI:-}" | tr -d '[:space:]')"
  [[ -n $ci && ${ci,,} != false ]] && exit 1
  exit 0
fi
if ip netns list | grep -qE '^xl-'; then
  echo "natlab rtt: another NAT lab is up (ip netns list shows xl-*): one lab per machine; not started" >&2
  exit 1
fi
trap 'bash "$HERE/lab.sh" down >/dev/null 2>&1 || echo "natlab rtt: lab.sh down failed" >&2' EXIT

if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$("$ROOT/xstunt" java-home)"
fi
export JAVA_HOME
[[ "${MAVEN_OPTS:-}" == *sun-misc-unsafe* ]] || export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

if [[ $MODE == --full || $MODE == --extra ]]; then
  suffix=""
  [[ $MODE == --extra ]] && suffix="-extra"
  OUT="$ROOT/docs/performance-runs/$(date -u +%Y%m%dT%H%M%SZ)-natlab-rtt$suffix.txt"
else
  OUT="$HERE/target/natlab-rtt-short.txt"
fi
echo "natlab rtt ${MODE#--}: load average $(cut -d' ' -f1-3 /proc/loadavg); results -> $OUT"
cd "$ROOT"
# shellcheck disable=SC2086  # MVN_ARGS is a list of arguments
mvn -B -q -o ${MVN_ARGS:-} -pl natlab -am verify -Dtest=HandshakeRttBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dnatlab.rtt="${MODE#--}" -Dnatlab.rtt.out="$OUT" -Dsurefire.fork.timeout=3600
cat "$OUT"
