#!/usr/bin/env bash
# Runs the xstunt-java benchmarks (issue #4) and writes one results file.
#   bench/run.sh --short   at most 5 minutes (about 3 here): every benchmark, few iterations,
#                          5,000 held clients; figures are indicative only
#   bench/run.sh --full    the figures of docs/PERFORMANCE.md: more iterations and forks,
#                          as many held clients as the open-files limit allows (100,000 asked);
#                          about 17.5 minutes on 2 cores
# ./xstunt bench [--short|--full] builds first and calls this. Environment: JAVA_HOME (a JDK
# >= 21; ./xstunt finds one), BENCH_OUT (results directory, default bench/results).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:---short}"
case "$MODE" in
  --short|--full) ;;
  *) echo "usage: bench/run.sh [--short|--full]" >&2; exit 2 ;;
esac
if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$("$ROOT/xstunt" java-home)"
fi
JAVA="$JAVA_HOME/bin/java"
CP="$ROOT/bench/target/classes:$ROOT/bench/target/lib/*"
if [[ ! -d "$ROOT/bench/target/lib" ]]; then
  echo "bench: not built; run ./xstunt build (or ./xstunt bench, which builds)" >&2
  exit 3
fi

# One descriptor per held client in the server and in the generator: raise the soft limit as far
# as allowed (100,000 clients need about 105,000; root may raise the hard limit too).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT="$(ulimit -n)"

OUT_DIR="${BENCH_OUT:-$ROOT/bench/results}"
mkdir -p "$OUT_DIR"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$OUT_DIR/$STAMP${MODE/--/-}.txt"
START=$(date +%s)

if [[ "$MODE" == --short ]]; then
  CODEC=(-wi 1 -w 200ms -i 2 -r 300ms -f 1)
  LATENCY=(-wi 1 -w 1s -i 3 -r 2s -f 1)
  LOAD=(--clients 5000 --sessions 10000 --in-flight 1000 --warmup 4000 --histogram 12)
else
  CODEC=(-wi 3 -w 1s -i 5 -r 1s -f 2)
  LATENCY=(-wi 2 -w 3s -i 10 -r 3s -f 2)
  LOAD=(--clients 100000 --sessions 100000 --in-flight 1000 --warmup 20000 --histogram 25)
fi

{
  echo "# xstunt-java benchmarks, $MODE, $(date -u +%FT%TZ)"
  echo "# host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"\
       "$(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)"
  echo "# java: $("$JAVA" -version 2>&1 | head -1)"
  echo "# open-files limit: $FD_LIMIT (soft), $(ulimit -Hn) (hard)"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$OUT"

jmh() {
  local title="$1"; shift
  echo | tee -a "$OUT"
  echo "## $title" | tee -a "$OUT"
  # the whole JMH output (failures included) goes to its own log; the tables to the results file
  "$JAVA" -cp "$CP" org.openjdk.jmh.Main "$@" -rf json -rff "$OUT_DIR/$STAMP-$title.json" 2>&1 \
    | tee "$OUT_DIR/$STAMP-$title.log" \
    | grep -v -E '^(# (JMH|VM|Blackhole|Warmup|Measurement|Timeout|Threads|Benchmark mode|Run progress|Fork)|Iteration|$|WARNING)' \
    | sed -n '/^Benchmark /,$p' | tee -a "$OUT"
  if grep -q '<failure>' "$OUT_DIR/$STAMP-$title.log"; then
    echo "!! $title: a benchmark failed; see $OUT_DIR/$STAMP-$title.log" | tee -a "$OUT"
  fi
}

jmh codecs "${CODEC[@]}" -prof gc 'io.xstunt.bench.CodecBenchmark'
jmh handshake "${LATENCY[@]}" 'io.xstunt.bench.HandshakeBenchmark'
jmh registration "${LATENCY[@]}" 'io.xstunt.bench.RegistrationBenchmark'

echo | tee -a "$OUT"
echo "## load (server capacity)" | tee -a "$OUT"
"$JAVA" -Xmx2g -cp "$CP" io.xstunt.bench.load.LoadGenerator "${LOAD[@]}" 2>&1 | tee -a "$OUT"

echo | tee -a "$OUT"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg); elapsed $(( $(date +%s) - START )) s" | tee -a "$OUT"
echo "bench: results in $OUT"
