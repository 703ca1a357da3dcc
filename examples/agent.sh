#!/usr/bin/env bash
# An agent with its own identity, with nothing but curl, openssl and jq
# (spi-agent-binding/README.md, "Onboarding an agent, step by step"):
#   1. makes a P-256 key pair,
#   2. registers the agent through the admin REST API (with the mutation guard: the change request
#      is approved by APPROVER_USER and applied),
#   3. gets a token with a signed client assertion (RFC 7523), with a DPoP proof if DPOP=true,
#   4. exchanges a user's token (RFC 8693) if USER_NAME is set.
#
# Environment:
#   KC_URL, REALM                      Keycloak base URL (no trailing slash) and realm
#   ADMIN_USER, ADMIN_PASSWORD         the requester: an admin of REALM with manage-clients (password grant on admin-cli)
#   APPROVER_USER, APPROVER_PASSWORD   a second admin holding the guard's approver role (needed when the guard holds the registration)
#   OWNER                              the agent's owner (username)               [default: $ADMIN_USER]
#   AGENT_NAME                         the agent's name (becomes its clientId)    [default: example-bot-<random>]
#   DPOP                               true: DPoP-bound tokens (RFC 9449)          [default: false]
#   USER_NAME, USER_PASSWORD           a user the agent may act for (by default: the owner); the user's token
#                                      comes from a password grant on admin-cli and must name the agent in its aud
#   WORKDIR                            where the key is written                   [default: a new temporary folder]
# Prints one line per step: REGISTERED <id>, TOKEN <token_type> <agent name>, EXCHANGED sub=<user id> act=<actor id>.
set -euo pipefail

: "${KC_URL:?set KC_URL}" "${REALM:?set REALM}" "${ADMIN_USER:?set ADMIN_USER}" "${ADMIN_PASSWORD:?set ADMIN_PASSWORD}"
OWNER=${OWNER:-$ADMIN_USER}
AGENT_NAME=${AGENT_NAME:-example-bot-$(openssl rand -hex 4)}
DPOP=${DPOP:-false}
WORKDIR=${WORKDIR:-$(mktemp -d)}
TOKEN_ENDPOINT="$KC_URL/realms/$REALM/protocol/openid-connect/token"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
fail() { echo "agent.sh: $*" >&2; exit 1; }

password_token() { # user password -> access token (admin-cli of REALM)
  curl -sf "$TOKEN_ENDPOINT" -d grant_type=password -d client_id=admin-cli --data-urlencode "username=$1" \
    --data-urlencode "password=$2" | jq -r .access_token
}

# ES256 signature of stdin with the agent's key: openssl writes DER, a JWS needs r || s (32 bytes each).
sign_es256() {
  openssl dgst -sha256 -sign "$WORKDIR/agent.pem" -binary > "$WORKDIR/sig.der"
  openssl asn1parse -inform DER -in "$WORKDIR/sig.der" | awk -F: '/INTEGER/ {print $NF}' | while read -r hex; do
    while [ ${#hex} -lt 64 ]; do hex="0$hex"; done   # DER drops leading zero bytes ...
    printf '%s' "${hex:$((${#hex} - 64))}"            # ... and adds one before a high bit
  done | xxd -r -p | b64url
}

# 1. the key pair; x and y of the public key
openssl ecparam -name prime256v1 -genkey -noout -out "$WORKDIR/agent.pem" 2>/dev/null
openssl ec -in "$WORKDIR/agent.pem" -pubout -outform DER 2>/dev/null | tail -c 64 > "$WORKDIR/xy.bin"
X=$(head -c 32 "$WORKDIR/xy.bin" | b64url)
Y=$(tail -c 32 "$WORKDIR/xy.bin" | b64url)

# 2. registration (README step 2)
ADMIN=$(password_token "$ADMIN_USER" "$ADMIN_PASSWORD")
BODY=$(jq -n --arg name "$AGENT_NAME" --arg owner "$OWNER" --arg x "$X" --arg y "$Y" --argjson dpop "$DPOP" \
  --arg expires "$(date -u -d '+90 days' +%Y-%m-%dT%H:%M:%SZ)" '{
    name: $name, owner: {type: "user", username: $owner}, purpose: "example agent (examples/agent.sh)",
    expiresAt: $expires, keyBinding: {type: "jwk", jwk: {kty: "EC", crv: "P-256", x: $x, y: $y}},
    tokenExchange: true, dpop: $dpop}')
STATUS=$(curl -s -o "$WORKDIR/register.json" -w '%{http_code}' -X POST "$KC_URL/admin/realms/$REALM/agents" \
  -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -H 'Prefer: respond-async' -d "$BODY")
case "$STATUS" in
  201) ;;
  202)
    : "${APPROVER_USER:?the registration is held for approval: set APPROVER_USER and APPROVER_PASSWORD}"
    CR=$(jq -r .id "$WORKDIR/register.json")
    APPROVER=$(password_token "$APPROVER_USER" "$APPROVER_PASSWORD")
    DIGEST=$(curl -sf "$KC_URL/admin/realms/$REALM/mutation-guard/change-requests/$CR" -H "Authorization: Bearer $APPROVER" | jq -r .digest)
    curl -sf -X POST "$KC_URL/admin/realms/$REALM/mutation-guard/change-requests/$CR/approve" -H "Authorization: Bearer $APPROVER" \
      -H 'Content-Type: application/json' -d "{\"digest\":\"$DIGEST\"}" > /dev/null || fail "approval of $CR refused"
    STATE=$(curl -s -X POST "$KC_URL/admin/realms/$REALM/mutation-guard/change-requests/$CR/apply" -H "Authorization: Bearer $ADMIN" | jq -r .state)
    [ "$STATE" = APPLIED ] || fail "change request $CR: $STATE"
    ;;
  *) fail "registration answered $STATUS: $(cat "$WORKDIR/register.json")" ;;
esac

# 3. what the agent must send (README step 3)
AGENT=$(curl -sf "$KC_URL/admin/realms/$REALM/agents?name=$AGENT_NAME" -H "Authorization: Bearer $ADMIN" | jq '.items[0]')
[ "$AGENT" != null ] || fail "agent $AGENT_NAME not found after registration"
echo "REGISTERED $(jq -r .id <<< "$AGENT")"
KID=$(jq -r .usage.clientAssertion.header.kid <<< "$AGENT")
ALG=$(jq -r .usage.clientAssertion.header.alg <<< "$AGENT")
AUD=$(jq -r .usage.clientAssertion.claims.aud <<< "$AGENT")
TOKEN_ENDPOINT=$(jq -r .usage.tokenEndpoint <<< "$AGENT")

client_assertion() { # README step 4: a new assertion per request
  local now h c
  now=$(date +%s)
  h=$(jq -cn --arg alg "$ALG" --arg kid "$KID" '{alg: $alg, typ: "JWT", kid: $kid}' | b64url)
  c=$(jq -cn --arg n "$AGENT_NAME" --arg aud "$AUD" --arg jti "$(openssl rand -hex 16)" --argjson now "$now" \
        '{iss: $n, sub: $n, aud: $aud, jti: $jti, iat: $now, exp: ($now + 60)}' | b64url)
  printf '%s.%s.%s' "$h" "$c" "$(printf '%s.%s' "$h" "$c" | sign_es256)"
}

dpop_header() { # README step 6: sets DPOP_ARGS to a new proof for POST to the token endpoint (the agent's key as proof key)
  DPOP_ARGS=()
  [ "$DPOP" = true ] || return 0
  local h c
  h=$(jq -cn --arg x "$X" --arg y "$Y" '{typ: "dpop+jwt", alg: "ES256", jwk: {kty: "EC", crv: "P-256", x: $x, y: $y}}' | b64url)
  c=$(jq -cn --arg htu "$TOKEN_ENDPOINT" --arg jti "$(openssl rand -hex 16)" --argjson now "$(date +%s)" \
        '{jti: $jti, htm: "POST", htu: $htu, iat: $now}' | b64url)
  DPOP_ARGS=(-H "DPoP: $h.$c.$(printf '%s.%s' "$h" "$c" | sign_es256)")
}

# 4. a token
dpop_header
RESPONSE=$(curl -s "$TOKEN_ENDPOINT" "${DPOP_ARGS[@]}" -d grant_type=client_credentials -d "client_id=$AGENT_NAME" \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer -d "client_assertion=$(client_assertion)")
ACCESS=$(jq -r '.access_token // empty' <<< "$RESPONSE")
[ -n "$ACCESS" ] || fail "token request refused: $RESPONSE"
claims() { # the payload of a JWT
  local p
  p=$(cut -d. -f2 <<< "$1" | tr '_-' '/+')
  while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
  base64 -d <<< "$p"
}
echo "TOKEN $(jq -r .token_type <<< "$RESPONSE") $(claims "$ACCESS" | jq -r .agent.name)"

# 5. act for a user (token exchange)
if [ -n "${USER_NAME:-}" ]; then
  USER_TOKEN=$(password_token "$USER_NAME" "$USER_PASSWORD")
  dpop_header
  RESPONSE=$(curl -s "$TOKEN_ENDPOINT" "${DPOP_ARGS[@]}" -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
    -d "client_id=$AGENT_NAME" -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
    -d "client_assertion=$(client_assertion)" -d "subject_token=$USER_TOKEN" \
    -d subject_token_type=urn:ietf:params:oauth:token-type:access_token)
  EXCHANGED=$(jq -r '.access_token // empty' <<< "$RESPONSE")
  [ -n "$EXCHANGED" ] || fail "token exchange refused: $RESPONSE"
  echo "EXCHANGED sub=$(claims "$EXCHANGED" | jq -r .sub) act=$(claims "$EXCHANGED" | jq -r .act.sub)"
fi
