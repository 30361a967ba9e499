#!/usr/bin/env bash
# try.sh - try xstunt-java on real NATs: the lab (lab.sh) plus a STUNT server and the CLI in its
# namespaces. Run as root. See natlab/README.md, "Try it on real NATs".
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
LAB="$HERE/lab.sh"
STATE="${NATLAB_STATE:-/run/xstunt-natlab}"
TRY="$STATE/try"                         # server pid + log, fingerprint files; removed by down
SERVER=198.51.100.10,198.51.100.11

usage() {
  cat <<'USAGE'
try.sh - the xstunt CLI on real Linux NATs (network namespaces; run as root)

  try.sh up [lab.sh up options]   build the CLI if needed, bring the lab up, start a STUNT
                                  server in xl-srv (log: try.sh server-log)
  try.sh cli NS ARGS...           run the CLI in namespace NS (h1, h2, h3, pub), e.g.
                                    try.sh cli h1 listen --id alice
                                    try.sh cli h2 connect --id bob --peer alice
                                  --server and --fingerprint are filled in (one fingerprint
                                  file per namespace and ID); add --json for JSON lines
  try.sh demo                     up (port-preserving NATs), alice listens on h1, bob
                                  connects from h2, both outputs and the server's session line
  try.sh shell NS                 a shell inside NS (ip addr, ss -tn, nft list ruleset, ...)
  try.sh server-log               the STUNT server's output so far
  try.sh status | selftest        as lab.sh
  try.sh down                     stop everything and remove the lab

Hosts: h1 10.0.1.10 and h3 10.0.1.11 behind nat1 (203.0.113.1), h2 10.0.2.10 behind
nat2 (203.0.113.2), pub 198.51.100.20 without NAT, STUNT server 198.51.100.10/.11.
NAT types: lab.sh help (e.g. try.sh up --nat1 random --inbound2 rst --delay 25 --loss 1).
USAGE
}

need_root() { [[ $EUID -eq 0 ]] || { echo "try.sh: run as root (network namespaces)" >&2; exit 1; }; }

java_cmd() {
  # the launcher's own command line (builds the CLI first if needed): its start-up cache when it
  # fits this JDK, and the peer's JVM flags (client compiler only), for the lab's server too
  mapfile -t JAVA < <("$ROOT/xstunt" cli-command listen)
  [[ ${#JAVA[@]} -ge 3 ]] || { echo "try.sh: ./xstunt cli-command failed" >&2; exit 1; }
}

ns_name() { [[ "$1" == xl-* ]] && echo "$1" || echo "xl-$1"; }

cmd_up() {
  need_root
  java_cmd
  bash "$LAB" up "$@"
  mkdir -p "$TRY"
  ip netns exec xl-srv "${JAVA[@]}" server --ip1 198.51.100.10 --ip2 198.51.100.11 >"$TRY/server.log" 2>&1 &
  echo $! >"$TRY/server.pid"
  # wait (bounded) for the server's "server up" line
  local i
  for i in $(seq 1 100); do
    grep -q "server up" "$TRY/server.log" 2>/dev/null && break
    kill -0 "$(cat "$TRY/server.pid")" 2>/dev/null || { cat "$TRY/server.log" >&2; echo "try.sh: server died" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "server up" "$TRY/server.log" || { cat "$TRY/server.log" >&2; echo "try.sh: server not up after 10 s" >&2; exit 1; }
  echo "try.sh: STUNT server running in xl-srv ($SERVER); now e.g.:"
  echo "  $0 cli h1 listen --id alice      # in one terminal"
  echo "  $0 cli h2 connect --id bob --peer alice"
}

cmd_cli() {
  need_root
  [[ $# -ge 2 ]] || { usage >&2; exit 2; }
  local ns; ns="$(ns_name "$1")"; shift
  local sub="$1"; shift
  ip netns list | grep -qw "$ns" || { echo "try.sh: no namespace $ns; run try.sh up first" >&2; exit 1; }
  java_cmd
  mkdir -p "$TRY"
  local id="" a prev=""
  for a in "$@"; do [[ "$prev" == "--id" ]] && id="$a"; prev="$a"; done
  local extra=()
  if [[ "$sub" != server ]]; then
    [[ " $* " == *" --server "* ]] || extra+=(--server "$SERVER")
    [[ " $* " == *" --fingerprint "* ]] || extra+=(--fingerprint "$TRY/$ns-${id:-probe}.fp")
  fi
  exec ip netns exec "$ns" "${JAVA[@]}" "$sub" "$@" "${extra[@]}"
}

cmd_demo() {
  cmd_up --nat preserve --inbound drop
  echo "--- alice listens on h1 (behind nat1), bob connects from h2 (behind nat2)"
  "$0" cli h1 listen --id alice --count 1 >"$TRY/alice.out" 2>&1 &
  local lp=$!
  local i
  for i in $(seq 1 100); do grep -q "registered" "$TRY/alice.out" 2>/dev/null && break; sleep 0.1; done
  "$0" cli h2 connect --id bob --peer alice --message "hello through two NATs" || true
  wait "$lp" || true
  echo "--- alice (h1):"; cat "$TRY/alice.out"
  echo "--- server:"; grep "session" "$TRY/server.log" || true
  echo "--- the lab stays up: try.sh shell h1, try.sh cli ..., try.sh down"
}

cmd="${1:-help}"; [[ $# -gt 0 ]] && shift
case "$cmd" in
  up)          cmd_up "$@" ;;
  cli)         cmd_cli "$@" ;;
  demo)        cmd_demo ;;
  shell)       need_root; exec bash "$LAB" shell "$@" ;;
  server-log)  cat "$TRY/server.log" ;;
  status|selftest) exec bash "$LAB" "$cmd" "$@" ;;
  down)        need_root; bash "$LAB" down ;;   # kills the server and every CLI in the lab too
  help|-h|--help) usage ;;
  *) echo "try.sh: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
