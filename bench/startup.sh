#!/usr/bin/env bash
# bench/startup.sh: the CLI's start-up (issue 15). Time from spawning `xstunt listen --json` to its
# `registered` event (probing on loopback), CPU time and peak RSS: with the start-up cache that the
# build made (./xstunt cli-command) and without it (plain java -jar), one process at a time and
# N processes at once. Writes bench/results/startup-STAMP.txt.
#   bench/startup.sh [--runs N] [--parallel N] [--rounds N]     (defaults 10, 24, 2; about 2-4 min)
#   BEFORE_JAR=/path/xstunt-cli.jar bench/startup.sh ...        adds a row for another build's jar
#                                                               (plain java -jar), e.g. main's
# Builds nothing: run ./xstunt build first (./xstunt bench does).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mapfile -t CACHED < <("$ROOT/xstunt" cli-command listen)
JAVA="${CACHED[0]}"
JAR="${CACHED[${#CACHED[@]}-1]}"
if [[ ${#CACHED[@]} -le 3 ]]; then
  echo "bench/startup.sh: no start-up cache for this JDK (see the line above); both rows run without" >&2
fi
OUT_DIR="${BENCH_OUT:-$ROOT/bench/results}"
mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/startup-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "# xstunt CLI start-up, $(date -u +%FT%TZ), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# java: $("$JAVA" -version 2>&1 | head -1)"
  echo "# cached: ${CACHED[*]}"
} | tee "$OUT"
# No word of these command lines contains a space: startup.py splits them on spaces.
variants=()
if [[ -n "${BEFORE_JAR:-}" ]]; then variants+=("before=$JAVA -jar $BEFORE_JAR"); fi
variants+=("nocache=$JAVA -jar $JAR" "cache=${CACHED[*]}")
python3 "$ROOT/bench/startup.py" "$@" "${variants[@]}" | tee -a "$OUT"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
