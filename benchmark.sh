#!/usr/bin/env bash
# Benchmarks: plain Keycloak vs Keycloak with the NHI Guard providers, both started in the
# same run on this machine, figures printed with their ratio.
#
#   ./benchmark.sh [overhead] [--rounds N] [--requests N] [--concurrency N] [--only admin,tokens] [--db h2|postgres]
#                  [--guarded-option OPTION]... [--plain-twice] [--profile]
#   ./benchmark.sh guard [--rounds N] [--requests N]
#   ./benchmark.sh statements [--requests N] [--db h2|postgres] [--guarded-option OPTION]...
#   ./benchmark.sh agents [-Dnhi.bench.requests=N -Dnhi.bench.accounts=N …]
#   ./benchmark.sh audit [-Dbench.seconds=N -Dbench.threads=N]
#
#   overhead   latency of unguarded admin reads and writes (p50, p99) and client-credentials
#              token throughput, with each server's CPU per request, also split by thread
#              (default); --db postgres puts both servers on the local PostgreSQL
#              (nhi.postgres.url, default 127.0.0.1:5432/nhi_it as nhi/nhi, which .ci/run
#              sets up) instead of in-memory H2 and prints the database's CPU as well;
#              --guarded-option (repeatable) adds a Keycloak option to the server with our
#              providers only, e.g. --guarded-option --spi-events-listener--nhi-audit-chain--excluded-realms=bench
#              measures it without the audit chain of the bench realm; --plain-twice runs
#              plain Keycloak against plain Keycloak (A/A): the ratios are the bench's own spread;
#              --profile starts both servers with a JFR recording and prints their request
#              threads' stack samples during the measured rounds, per 1000 requests, by part of
#              the code (ours: admission, audit record, credential-read record, listeners;
#              Keycloak's handlers): where a difference in CPU is spent (every figure of the run
#              is then taken with JFR on)
#   guard      a guarded change (service-account secret regeneration): time of create (202),
#              approve and apply (p50, p99) against the same direct write on plain Keycloak;
#              --requests is the number of changes per round (default 50, 3 rounds)
#   statements SQL statements per admin read, unguarded write and token on each server, by
#              thread and kind (select, insert, …), counted in Hibernate's statement log
#              and in the audit chain's own (dev.nhiguard.audit.sql: the staged and chained rows it
#              sends on the transaction's connection); both servers log at DEBUG, so it runs alone;
#              --requests is the number of requests of each kind (default 200): exact where
#              CPU figures move with the machine
#   agents     agent binding: token throughput of agents vs plain clients, NHI inventory
#              latency (AgentBindingBenchmark, see spi-agent-binding/README.md)
#   audit      audit chain: append rate on H2 and PostgreSQL, token throughput with the chain
#              on and off, verify speed (spi-audit-listener/benchmark.sh)
set -euo pipefail
cd "$(dirname "$0")"

main=dev.nhiguard.bench.Bench
args=()
case "${1:-}" in
    overhead) shift ;;
    guard) shift; args=(--only guard --rounds 3 --requests 50) ;;
    statements) shift; args=(--only statements --requests 200) ;;
    agents)
        shift
        exec mvn -B verify -pl integration-tests -am -Dit.test=AgentBindingBenchmark \
            -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false "$@" ;;
    audit) shift; exec spi-audit-listener/benchmark.sh "$@" ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

# Both servers run as an operator runs Keycloak: the full JIT and Keycloak's own heap sizing
# (the test harness defaults to C1 only and a small heap, for fast start-up of test servers).
export JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:--XX:+TieredCompilation}"
# --profile: both servers record with JFR from their start (DistributionKeycloak.RECORDING_OPTION); a
# recording started later, in a warm JVM, makes the JIT recompile in the middle of the rounds.
for a in "$@"; do
    if [ "$a" = "--profile" ]; then
        export JAVA_OPTS_APPEND="$JAVA_OPTS_APPEND -XX:StartFlightRecording=name=nhi-bench,settings=profile,maxage=2h"
    fi
done
export JAVA_OPTS_KC_HEAP="${JAVA_OPTS_KC_HEAP:--XX:MaxRAMPercentage=70 -XX:MinRAMPercentage=70 -XX:InitialRAMPercentage=50}"

# Later arguments win, so the user's --rounds/--requests override the mode's defaults.
mvn -B -q -Pbench -DskipTests -pl benchmarks -am verify \
    -Dbench.main="$main" -Dbench.args="${args[*]} $*"
