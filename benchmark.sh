#!/usr/bin/env bash
# Benchmarks: plain Keycloak vs Keycloak with the NHI Guard providers, both started in the
# same run on this machine, figures printed with their ratio.
#
#   ./benchmark.sh [overhead] [--rounds N] [--requests N] [--concurrency N] [--only admin,tokens]
#
#   overhead   latency of unguarded admin reads and writes (p50, p99) and client-credentials
#              token throughput (default)
set -euo pipefail
cd "$(dirname "$0")"

main=dev.nhiguard.bench.Bench
case "${1:-}" in
    overhead) shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

mvn -B -q -Pbench -DskipTests -pl benchmarks -am verify \
    -Dbench.main="$main" -Dbench.args="$*"
