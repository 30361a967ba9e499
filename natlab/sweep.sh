#!/usr/bin/env bash
# sweep.sh - the TCP birthday sweep on real Linux NATs (issue 16): one random NAT (nat2,
# masquerade fully-random, h2 behind it: the hard side) against a port-preserving one (nat1, h1:
# the easy side), per inbound policy of the easy side and per role, RUNS attempts each; and two
# random NATs (relayed at once, no sweep). Run as root, under the lab lock:
#
#   flock /tmp/natlab.lock natlab/sweep.sh [--runs N] [--out DIR] [--publish] [VARIANT...]
#
# Variants (default: all): drop-hl drop-hc rst-hl rst-hc icmp-hl icmp-hc rstrst-hl rstrst-hc random2
#   <easy policy>-hl: the hard side (h2) listens, h1 connects; -hc: h2 connects, h1 listens;
#   rstrst: nat2 answers RST too; random2: both NATs random (the relay, without a sweep).
# Per attempt it records the connector's outcome (path, relay reason, total and sweep time), the
# SYNs each NAT forwarded towards the other NAT's public address (nft counters: the sweep's or
# punch's SYNs with the kernel's retransmissions; registration and control go to the server and
# are not counted) and the conntrack entries each NAT holds towards the other afterwards.
# Writes DIR/attempts.jsonl and DIR/summary.md (default DIR: natlab/target/sweep) and prints the
# summary. --publish (all variants only) also puts the summary, stamped with the commit and date,
# into natlab/SWEEP.md between its figure markers (docs/NAT-LAB.md's sweep section; report.sh
# copies it). Needs the CLI built (mvn -o package -pl cli -am -DskipTests).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TRY="$HERE/try.sh"
RUNS=20
OUT="$HERE/target/sweep"
VARIANTS=()
PUBLISH=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --publish) PUBLISH=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) VARIANTS+=("$1"); shift ;;
  esac
done
[[ $PUBLISH == 0 || ${#VARIANTS[@]} -eq 0 ]] || { echo "sweep.sh: --publish measures every variant" >&2; exit 2; }
[[ ${#VARIANTS[@]} -gt 0 ]] || VARIANTS=(drop-hl drop-hc rst-hl rst-hc icmp-hl icmp-hc rstrst-hl rstrst-hc random2)
[[ $EUID -eq 0 ]] || { echo "sweep.sh: run as root" >&2; exit 1; }
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "sweep.sh: --runs takes a number >= 1" >&2; exit 2; }
mkdir -p "$OUT"
ATTEMPTS="$OUT/attempts.jsonl"
: >"$ATTEMPTS"
trap 'bash "$TRY" down >/dev/null 2>&1 || true' EXIT

# shellcheck source=natlab/sweep-lib.sh
source "$HERE/sweep-lib.sh"

for v in "${VARIANTS[@]}"; do
  case "$v" in
    drop-*|rst-*|icmp-*) lab=(--nat1 preserve --nat2 random --inbound1 "${v%-h?}" --inbound2 drop) ;;
    rstrst-*) lab=(--nat1 preserve --nat2 random --inbound1 rst --inbound2 rst) ;;
    random2) lab=(--nat random --inbound drop) ;;
    *) echo "sweep.sh: unknown variant $v" >&2; exit 2 ;;
  esac
  if [[ "$v" == *-hc ]]; then lns=h1; cns=h2; else lns=h2; cns=h1; fi
  echo "sweep.sh: $v (${lab[*]}; listener $lns, connector $cns), $RUNS attempts" >&2
  bash "$TRY" up "${lab[@]}" >/dev/null
  add_counter nat1 "$NAT2"
  add_counter nat2 "$NAT1"
  lid="l-$v"
  bash "$TRY" cli "$lns" listen --id "$lid" --count "$RUNS" --timeout 12 --json >"$OUT/$v-listener.jsonl" 2>"$OUT/$v-listener.log" &
  lpid=$!
  for _ in $(seq 1 300); do grep -q '"registered"' "$OUT/$v-listener.jsonl" 2>/dev/null && break; sleep 0.1; done
  grep -q '"registered"' "$OUT/$v-listener.jsonl" || { cat "$OUT/$v-listener.log" >&2; echo "sweep.sh: listener not registered" >&2; exit 1; }
  for i in $(seq 1 "$RUNS"); do
    forget nat1 "$NAT2"; forget nat2 "$NAT1"
    s1=$(syns nat1); s2=$(syns nat2)
    bash "$TRY" cli "$cns" connect --id "c-$v-$i" --peer "$lid" --timeout 12 --json \
      >"$OUT/$v-c$i.jsonl" 2>"$OUT/$v-c$i.log" || true
    e1=$(syns nat1); e2=$(syns nat2)
    python3 - "$v" "$i" "$OUT/$v-c$i.jsonl" "$((e1 - s1))" "$((e2 - s2))" "$(entries nat1 "$NAT2")" \
      "$(entries nat2 "$NAT1")" >>"$ATTEMPTS" <<'PY'
import json, sys
v, i, path, syn1, syn2, ct1, ct2 = sys.argv[1:8]
row = {"variant": v, "run": int(i), "syns_h1": int(syn1), "syns_h2": int(syn2), "ct_nat1": int(ct1),
       "ct_nat2": int(ct2), "outcome": "none"}
for line in open(path):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "connected" and row["outcome"] == "none":
        row.update(outcome=e.get("path", "direct"), reason=e.get("relayReason"), totalMs=e.get("totalMs"),
                   sweepMs=(e.get("phases") or {}).get("sweep"), remote=e.get("remote"))
    elif e.get("event") == "error" and row["outcome"] == "none":
        row.update(outcome="error", code=e.get("code"), message=e.get("message"))
print(json.dumps(row))
PY
    tail -n 1 "$ATTEMPTS" >&2
  done
  wait "$lpid" || true
  bash "$TRY" down >/dev/null
done

python3 - "$ATTEMPTS" "$RUNS" >"$OUT/summary.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))] if xs else None
def fmt(x):
    return "-" if x is None else ("%.0f" % x)
print("| variant | attempts | direct | relayed (reason) | failed | time to connected ms, median / p95 | sweep ms, median / p95 | SYNs h1 (easy), median / p95 / max | SYNs h2 (hard), median / p95 / max | conntrack after, nat1 / nat2 (median) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
order = []
for r in rows:
    if r["variant"] not in order:
        order.append(r["variant"])
for v in order:
    rs = [r for r in rows if r["variant"] == v]
    direct = [r for r in rs if r["outcome"] == "direct"]
    relayed = [r for r in rs if r["outcome"] == "relayed"]
    failed = [r for r in rs if r["outcome"] not in ("direct", "relayed")]
    reasons = sorted({(r.get("reason") or "").split(" after ")[0] for r in relayed})
    t = [r["totalMs"] for r in rs if r.get("totalMs") is not None]
    sw = [r["sweepMs"] for r in direct if r.get("sweepMs") is not None]
    s1 = [r["syns_h1"] for r in rs]
    s2 = [r["syns_h2"] for r in rs]
    print("| %s | %d | %d (%.0f %%) | %d %s | %d | %s / %s | %s / %s | %s / %s / %s | %s / %s / %s | %s / %s |" % (
        v, len(rs), len(direct), 100.0 * len(direct) / len(rs), len(relayed),
        ("(" + "; ".join(reasons) + ")") if reasons else "", len(failed), fmt(pct(t, .5)), fmt(pct(t, .95)),
        fmt(pct(sw, .5)), fmt(pct(sw, .95)), fmt(pct(s1, .5)), fmt(pct(s1, .95)), fmt(max(s1)),
        fmt(pct(s2, .5)), fmt(pct(s2, .95)), fmt(max(s2)), fmt(pct([r["ct_nat1"] for r in rs], .5)),
        fmt(pct([r["ct_nat2"] for r in rs], .5))))
PY
cat "$OUT/summary.md"

if [[ $PUBLISH == 1 ]]; then
  commit="$(git -C "$ROOT" rev-parse --short HEAD)"
  [[ -z "$(git -C "$ROOT" status --porcelain -- engine api cli natlab)" ]] || commit="$commit (with uncommitted changes)"
  python3 - "$HERE/SWEEP.md" "$OUT/summary.md" "Measured by natlab/sweep.sh --runs $RUNS on commit $commit, $(date -u +%F) (UTC)." <<'PY'
import sys
doc, summary, stamp = sys.argv[1:4]
text = open(doc).read()
begin, end = "<!-- sweep.sh figures -->", "<!-- end of sweep.sh figures -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(doc, "w").write(text[:a] + "\n" + stamp + "\n\n" + open(summary).read() + text[b:])
PY
  echo "sweep.sh: natlab/SWEEP.md updated" >&2
fi
