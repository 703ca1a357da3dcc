#!/usr/bin/env bash
# Audit chain benchmark: builds the providers and the test distribution, then runs
# dev.nhiguard.it.audit.AuditBenchmark (Maven profile audit-benchmark), which starts Keycloak
# on H2 (and on PostgreSQL when nhi.postgres.url is reachable) and prints throughput figures
# and on/off ratios. Usage: spi-audit-listener/benchmark.sh [-Dbench.seconds=15] [-Dbench.threads=1,4,8]
# [-Dbench.h2=false] (PostgreSQL only) [-Dbench.token-events=inline] (token events under the head-row lock)
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -q -pl integration-tests -am -Paudit-benchmark verify -DskipTests "$@"
