#!/usr/bin/env bash
# sweep-cost.sh - what the TCP birthday sweep costs, against what the relay costs the server
# (issue 16's Proof). Run as root, under the lab lock:
#
#   flock /tmp/natlab.lock natlab/sweep-cost.sh [--runs N] [--relay-bytes SIZE] [--out DIR] [VARIANT...]
#
# Variants (default: drop-hl drop-hc rst-hc icmp-hl relay): as natlab/sweep.sh (nat1 port-preserving
# with the easy side h1, nat2 random with the hard side h2; -hl the hard side listens, -hc it
# connects); "relay": both NATs random, so the pair is relayed at once, and the connector sends
# SIZE bytes (default 1MiB) that the listener echoes (connect --send-bytes, listen --sha256): one
# relayed session of that size.
# Per attempt: SYNs each NAT forwarded towards the other NAT (nft counter, retransmissions
# included), conntrack entries on each NAT (the peak of `conntrack -C` polled every 20 ms during
# the attempt, and the entries towards the other NAT right after it), CPU time (user + system) of
# the listener JVM during the attempt (/proc/PID/stat before and after) and of the whole connector
# JVM (bash `times` of its subshell: start-up and registration included, so compare with the relay
# variant's, which has the same start-up), and for the relay variant the STUNT server's CPU during
# the session and the bytes it relayed. Writes DIR/cost.jsonl and DIR/cost.md (default DIR:
# natlab/target/sweep-cost) and prints the summary. Needs the CLI built (mvn -o package -pl cli -am
# -DskipTests). About 20 s per attempt on 2 cores.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TRY="$HERE/try.sh"
RUNS=5
RELAY_BYTES=1MiB
OUT="$HERE/target/sweep-cost"
VARIANTS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --relay-bytes) RELAY_BYTES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) VARIANTS+=("$1"); shift ;;
  esac
done
[[ ${#VARIANTS[@]} -gt 0 ]] || VARIANTS=(drop-hl drop-hc rst-hc icmp-hl relay)
[[ $EUID -eq 0 ]] || { echo "sweep-cost.sh: run as root" >&2; exit 1; }
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "sweep-cost.sh: --runs takes a number >= 1" >&2; exit 2; }
mkdir -p "$OUT"
ROWS="$OUT/cost.jsonl"
: >"$ROWS"
TICKS=$(getconf CLK_TCK)
trap 'bash "$TRY" down >/dev/null 2>&1 || true' EXIT
# shellcheck source=natlab/sweep-lib.sh
source "$HERE/sweep-lib.sh"

cpu_ms() { awk -v t="$TICKS" '{printf "%d", ($14 + $15) * 1000 / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# the JVM of the peer whose ID is $1 (its command line names it), started by try.sh cli
jvm_of() { pgrep -f -- "java.* --id $1( |\$)" | head -n 1; }
# polls `conntrack -C` in both NATs every 20 ms until the file $1 appears; prints "peak1 peak2"
poll_conntrack() {
  local stop=$1 p1=0 p2=0 c
  while [[ ! -e $stop ]]; do
    c=$(ip netns exec xl-nat1 conntrack -C 2>/dev/null || echo 0); ((c > p1)) && p1=$c
    c=$(ip netns exec xl-nat2 conntrack -C 2>/dev/null || echo 0); ((c > p2)) && p2=$c
    sleep 0.02
  done
  echo "$p1 $p2"
}

for v in "${VARIANTS[@]}"; do
  extra_l=() extra_c=()
  case "$v" in
    drop-*|rst-*|icmp-*) lab=(--nat1 preserve --nat2 random --inbound1 "${v%-h?}" --inbound2 drop) ;;
    relay) lab=(--nat random --inbound drop); extra_l=(--sha256); extra_c=(--send-bytes "$RELAY_BYTES") ;;
    *) echo "sweep-cost.sh: unknown variant $v" >&2; exit 2 ;;
  esac
  if [[ "$v" == *-hc ]]; then lns=h1; cns=h2; else lns=h2; cns=h1; fi
  echo "sweep-cost.sh: $v (${lab[*]}; listener $lns, connector $cns), $RUNS attempts" >&2
  bash "$TRY" up "${lab[@]}" >/dev/null
  add_counter nat1 "$NAT2"
  add_counter nat2 "$NAT1"
  lid="l-$v"
  # one attempt more than are made, so that its JVM is still there to be read after the last one
  bash "$TRY" cli "$lns" listen --id "$lid" --count "$((RUNS + 1))" --timeout 30 --json "${extra_l[@]}" \
    >"$OUT/$v-listener.jsonl" 2>"$OUT/$v-listener.log" &
  lpid=$!
  for _ in $(seq 1 300); do grep -q '"registered"' "$OUT/$v-listener.jsonl" 2>/dev/null && break; sleep 0.1; done
  grep -q '"registered"' "$OUT/$v-listener.jsonl" || { cat "$OUT/$v-listener.log" >&2; echo "sweep-cost.sh: listener not registered" >&2; exit 1; }
  ljvm=$(jvm_of "$lid"); spid=$(cat "$STATE/server.pid")
  for i in $(seq 1 "$RUNS"); do
    forget nat1 "$NAT2"; forget nat2 "$NAT1"
    s1=$(syns nat1); s2=$(syns nat2); lc0=$(cpu_ms "$ljvm"); sc0=$(cpu_ms "$spid")
    stop="$OUT/.stop-$v-$i"; rm -f "$stop"
    poll_conntrack "$stop" >"$OUT/.peak" &
    ppid_=$!
    ccpu=$( { ( bash "$TRY" cli "$cns" connect --id "c-$v-$i" --peer "$lid" --timeout 12 --json --relay allowed \
      "${extra_c[@]}" >"$OUT/$v-c$i.jsonl" 2>"$OUT/$v-c$i.log" || true; times ) | tail -n 1; } )
    touch "$stop"; wait "$ppid_"; rm -f "$stop"
    read -r peak1 peak2 <"$OUT/.peak"
    e1=$(syns nat1); e2=$(syns nat2); lc1=$(cpu_ms "$ljvm"); sc1=$(cpu_ms "$spid")
    python3 - "$v" "$i" "$OUT/$v-c$i.jsonl" "$((e1 - s1))" "$((e2 - s2))" "$(entries nat1 "$NAT2")" \
      "$(entries nat2 "$NAT1")" "$peak1" "$peak2" "$((lc1 - lc0))" "$ccpu" "$((sc1 - sc0))" >>"$ROWS" <<'PY'
import json, re, sys
v, i, path, syn1, syn2, ct1, ct2, pk1, pk2, lcpu, ctimes, scpu = sys.argv[1:13]
def secs(t):  # bash `times`: "0m1.234s"
    m = re.match(r"(\d+)m([\d.]+)s", t)
    return float(m.group(1)) * 60 + float(m.group(2)) if m else 0.0
user, system = (ctimes.split() + ["0m0s", "0m0s"])[:2]
row = {"variant": v, "run": int(i), "syns_nat1": int(syn1), "syns_nat2": int(syn2), "ct_after_nat1": int(ct1),
       "ct_after_nat2": int(ct2), "ct_peak_nat1": int(pk1), "ct_peak_nat2": int(pk2), "cpu_listener_ms": int(lcpu),
       "cpu_connector_ms": round(1000 * (secs(user) + secs(system))), "cpu_server_ms": int(scpu), "outcome": "none",
       "relayed_bytes": 0}
for line in open(path):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "connected" and row["outcome"] == "none":
        row.update(outcome=e.get("path"), family=e.get("family"), totalMs=e.get("totalMs"))
    elif e.get("event") == "transfer":
        row["relayed_bytes"] = int(e["sent"]["bytes"]) + int(e["received"]["bytes"])
    elif e.get("event") == "error" and row["outcome"] == "none":
        row.update(outcome="error", code=e.get("code"))
print(json.dumps(row))
PY
    tail -n 1 "$ROWS" >&2
  done
  kill "$ljvm" 2>/dev/null || true # the listener this script started, waiting for the attempt never made
  wait "$lpid" || true
  bash "$TRY" down >/dev/null
done

python3 - "$ROWS" >"$OUT/cost.md" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
order = []
for r in rows:
    if r["variant"] not in order:
        order.append(r["variant"])
def med(k, rs):
    return statistics.median([r[k] for r in rs]) if rs else 0
print("| variant | attempts | direct | SYNs nat1 / nat2 (median) | conntrack peak nat1 / nat2 (median) | conntrack after nat1 / nat2 | CPU listener ms (attempt) | CPU connector ms (whole JVM) | server CPU ms | bytes through the server |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for v in order:
    rs = [r for r in rows if r["variant"] == v]
    direct = sum(1 for r in rs if r["outcome"] == "direct")
    print("| %s | %d | %d | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.0f | %.0f | %.0f | %.0f |" % (
        v, len(rs), direct, med("syns_nat1", rs), med("syns_nat2", rs), med("ct_peak_nat1", rs),
        med("ct_peak_nat2", rs), med("ct_after_nat1", rs), med("ct_after_nat2", rs), med("cpu_listener_ms", rs),
        med("cpu_connector_ms", rs), med("cpu_server_ms", rs), med("relayed_bytes", rs)))
PY
cat "$OUT/cost.md"
