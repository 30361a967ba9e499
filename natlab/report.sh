#!/usr/bin/env bash
# natlab/report.sh: updates docs/NAT-LAB.md, deliberately. Test runs never write it: NatLabTest
# writes its page to natlab/target/NAT-LAB.md, stamped with the commit and the date it measured.
#   natlab/report.sh          runs the NAT-lab suite (NatLabTest; as root, about 2.5 minutes),
#                             then copies its page to docs/NAT-LAB.md
#   natlab/report.sh --last   copies the page of the last run without running the suite again
# Only a complete run (every scenario measured, the suite green) is published; a page measured
# with uncommitted changes says so in its stamp, and this script warns about it.
# Environment: JAVA_HOME (a JDK >= 21; ./xstunt finds one), MVN_ARGS (extra Maven arguments).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PAGE="$HERE/target/NAT-LAB.md"
DOC="$ROOT/docs/NAT-LAB.md"
COMPLETE="Scenarios: every scenario of the suite was measured in this run."

case "${1:-}" in
  "") run=1 ;;
  --last) run=0 ;;
  *) echo "usage: natlab/report.sh [--last]" >&2; exit 2 ;;
esac

if [[ $run == 1 ]]; then
  if [[ $EUID -ne 0 ]]; then
    echo "natlab report: needs root (the lab creates network namespaces); docs/NAT-LAB.md unchanged" >&2
    exit 1
  fi
  if ip netns list | grep -qE '^xl-'; then
    echo "natlab report: another NAT lab is up (ip netns list shows xl-*): one lab per machine; not started" >&2
    exit 1
  fi
  if [[ -z "${JAVA_HOME:-}" ]]; then
    JAVA_HOME="$("$ROOT/xstunt" java-home)"
  fi
  export JAVA_HOME
  [[ "${MAVEN_OPTS:-}" == *sun-misc-unsafe* ]] || export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  rm -f "$PAGE"
  echo "natlab report: running the NAT-lab suite (about 2.5 minutes)"
  cd "$ROOT"
  # shellcheck disable=SC2086  # MVN_ARGS is a list of arguments
  if ! mvn -B -q ${MVN_ARGS:-} -pl natlab -am install -Dtest=NatLabTest -Dsurefire.failIfNoSpecifiedTests=false; then
    echo "natlab report: the suite failed; docs/NAT-LAB.md unchanged (this run's page: natlab/target/NAT-LAB.md)" >&2
    exit 1
  fi
fi

if [[ ! -f $PAGE ]]; then
  echo "natlab report: no natlab/target/NAT-LAB.md (the suite has not run here): run natlab/report.sh as root" >&2
  exit 1
fi
if ! grep -qF "$COMPLETE" "$PAGE"; then
  echo "natlab report: natlab/target/NAT-LAB.md is a partial run; docs/NAT-LAB.md unchanged:" >&2
  grep -m1 '^Measured on' "$PAGE" >&2 || true
  exit 1
fi
cp "$PAGE" "$DOC"
stamp="$(grep -m1 -o '^Measured on commit [^)]*)[^.]*\.' "$PAGE" || true)"
echo "natlab report: docs/NAT-LAB.md written: $stamp"
if grep -q '^Measured on commit .*uncommitted changes' "$PAGE"; then
  echo "natlab report: warning: that run had uncommitted changes; commit them and run again for a page that matches a commit" >&2
fi
