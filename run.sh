#!/usr/bin/env bash
# Starts Keycloak with the NHI Guard providers and the demo realm on the embedded H2 database.
#
#   ./run.sh            build the providers if needed, start Keycloak on http://localhost:8080
#   ./run.sh --reset    forget the embedded database first (the demo realm is imported again)
#
# Needs only a JDK (17+) and Maven. Ctrl-C stops Keycloak; data persists in .run/ between runs.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)

HTTP_PORT=8080
MGMT_PORT=9000
RESET=false
REBUILD=false

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'TXT'
Options:
  --reset           delete the embedded database (and re-import the demo realm)
  --rebuild         rebuild the provider JARs even if they look current
  --port N          HTTP port (default 8080)
  --management-port N  management port for health (default 9000)
  -h, --help        this text
TXT
}

while [ $# -gt 0 ]; do
    case "$1" in
        --reset) RESET=true ;;
        --rebuild) REBUILD=true ;;
        --port) HTTP_PORT=${2:?--port needs a number}; shift ;;
        --management-port) MGMT_PORT=${2:?--management-port needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

command -v java >/dev/null || { echo "java (17 or newer) is required" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven (mvn) is required" >&2; exit 1; }

KC_VERSION=$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' pom.xml | head -n 1)
PROVIDERS="$ROOT/target/providers"
RUN_DIR="$ROOT/.run"
KC_HOME="$RUN_DIR/keycloak-$KC_VERSION"

# 1. Provider JARs: build when missing or older than any source or POM.
stale() {
    [ -d "$PROVIDERS" ] || return 0
    [ -n "$(ls "$PROVIDERS"/*.jar 2>/dev/null)" ] || return 0
    [ -n "$(find . -path ./.run -prune -o -path '*/target' -prune -o \
        \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$PROVIDERS" -print -quit)" ]
}
if $REBUILD || stale; then
    echo "==> Building the provider JARs (mvn package)"
    rm -rf "$PROVIDERS"
    mvn -B -q -DskipTests -pl integration-tests -am package
    touch "$PROVIDERS"
fi

# 2. Keycloak distribution from Maven Central, unpacked once and kept in .run/.
if [ ! -x "$KC_HOME/bin/kc.sh" ]; then
    echo "==> Fetching Keycloak $KC_VERSION from Maven Central"
    mkdir -p "$RUN_DIR"
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
        -DoutputDirectory="$RUN_DIR"
fi

# 3. Our providers (and only the current ones) in providers/. Unchanged JARs keep their
#    timestamps, so Keycloak does not re-augment when nothing changed.
mkdir -p "$KC_HOME/providers"
for jar in "$KC_HOME/providers"/*.jar; do
    [ -e "$jar" ] || continue
    [ -e "$PROVIDERS/$(basename "$jar")" ] || rm -f "$jar"
done
for jar in "$PROVIDERS"/*.jar; do
    cmp -s "$jar" "$KC_HOME/providers/$(basename "$jar")" || cp -p "$jar" "$KC_HOME/providers/"
done

# 4. The demo realm, imported when it does not exist yet.
if $RESET; then
    echo "==> Resetting the embedded database"
    rm -rf "$KC_HOME/data/h2"
fi
mkdir -p "$KC_HOME/data/import"
cp demo/nhi-demo-realm.json "$KC_HOME/data/import/"

cat <<TXT
==> Starting Keycloak $KC_VERSION with NHI Guard (embedded H2 in $KC_HOME/data/h2)
    Admin console   http://localhost:$HTTP_PORT/admin/   (master realm: admin / admin)
    Demo realm      http://localhost:$HTTP_PORT/admin/master/console/#/nhi-demo
    Demo account    http://localhost:$HTTP_PORT/realms/nhi-demo/account/
    Health          http://localhost:$MGMT_PORT/health/ready

    Demo realm nhi-demo (demo secrets, never use them elsewhere):
      alice  alice-demo-pass  realm admin, approver (nhi-approver), OTP seed nhi-demo-alice-otp
      bob    bob-demo-pass    realm admin, approver (nhi-approver), OTP seed nhi-demo-bob-otp
      carol  carol-demo-pass  realm admin, not an approver
      dana   dana-demo-pass   ordinary user, owner of agents
      client billing-sync     service account, secret billing-sync-demo-secret
    OTP apps take the seed in Base32: alice NZUGSLLEMVWW6LLBNRUWGZJNN52HA===, bob NZUGSLLEMVWW6LLCN5RC233UOA======

    Ctrl-C stops Keycloak.
TXT

export KC_BOOTSTRAP_ADMIN_USERNAME=${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}
export KC_BOOTSTRAP_ADMIN_PASSWORD=${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}

started=$(date +%s)
"$KC_HOME/bin/kc.sh" start-dev \
    --http-host=127.0.0.1 \
    --http-port="$HTTP_PORT" \
    --http-management-port="$MGMT_PORT" \
    --health-enabled=true \
    --spi-security-profile--default--name=nhi-agent-security-profile \
    --import-realm &
kc=$!
trap 'kill -TERM "$kc" 2>/dev/null; wait "$kc"; exit 0' INT TERM

ready() { # HTTP GET of the readiness check with bash alone
    { exec 3<>"/dev/tcp/127.0.0.1/$MGMT_PORT"; } 2>/dev/null || return 1
    printf 'GET /health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    local status
    read -r _ status _ <&3 || status=
    exec 3<&-
    [ "$status" = 200 ]
}

# Announce readiness once the health check answers.
while kill -0 "$kc" 2>/dev/null; do
    if ready; then
        echo "==> NHI Guard ready after $(( $(date +%s) - started )) s: http://localhost:$HTTP_PORT/admin/"
        break
    fi
    sleep 1
done
wait "$kc"
