package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Runs the examples at the repository root against the test server, as a developer would:
 * {@code bash examples/agent.sh} (curl, openssl, jq) and {@code java examples/Agent.java} (plain
 * JDK), each registering an agent in realm {@code agent-examples} (the mutation guard holds the
 * registration: requester cara, approver ann), getting a DPoP-bound token with a signed client
 * assertion, and exchanging its owner owen's token.
 */
@ExtendWith(KeycloakExtension.class)
class ExamplesIT {

    static final String REALM = "agent-examples";

    final KeycloakTarget keycloak;
    final HttpAdmin http;

    ExamplesIT(KeycloakTarget keycloak) {
        this.keycloak = keycloak;
        this.http = keycloak.http();
    }

    static Path examples() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples")) && Files.exists(p.resolve("examples/agent.sh"))) {
                return p.resolve("examples");
            }
        }
        throw new AssertionError("examples/ not found above " + Path.of("").toAbsolutePath());
    }

    /** owen's tokens (admin-cli) name the example agent in their audience, so the agent can exchange them. */
    void audienceForOwen(String agentName) {
        String admin = http.passwordGrant(REALM, "admin-cli", "cara", "cara-pass", null).get("access_token").asText();
        String adminCli = http.get("/admin/realms/" + REALM + "/clients?clientId=admin-cli", admin).json().get(0).get("id").asText();
        HttpAdmin.Response r = http.post("/admin/realms/" + REALM + "/clients/" + adminCli + "/protocol-mappers/models", admin,
                AgentApi.json(Map.of("name", "audience " + agentName, "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                        "config", Map.of("included.custom.audience", agentName, "access.token.claim", "true", "lightweight.claim", "true"))));
        if (r.status() == 202) {
            // the guard holds a change of what tokens carry: ann approves, cara applies
            String cr = r.json().get("id").asText();
            String ann = http.passwordGrant(REALM, "admin-cli", "ann", "ann-pass", null).get("access_token").asText();
            String base = "/admin/realms/" + REALM + "/mutation-guard/change-requests/" + cr;
            String digest = http.get(base, ann).json().get("digest").asText();
            assertEquals(200, http.post(base + "/approve", ann, "{\"digest\":\"" + digest + "\"}").status());
            HttpAdmin.Response applied = http.post(base + "/apply", admin, null);
            assertEquals(200, applied.status(), applied.body());
        } else {
            assertEquals(201, r.status(), r.body());
        }
    }

    String run(List<String> command, String agentName) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("KC_URL", keycloak.baseUri().toString().replaceAll("/$", ""));
        env.put("REALM", REALM);
        env.put("ADMIN_USER", "cara");
        env.put("ADMIN_PASSWORD", "cara-pass");
        env.put("APPROVER_USER", "ann");
        env.put("APPROVER_PASSWORD", "ann-pass");
        env.put("OWNER", "owen");
        env.put("AGENT_NAME", agentName);
        env.put("DPOP", "true");
        env.put("USER_NAME", "owen");
        env.put("USER_PASSWORD", "owen-pass");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "example did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    void check(String out, String agentName) {
        String admin = http.passwordGrant(REALM, "admin-cli", "cara", "cara-pass", null).get("access_token").asText();
        JsonNode agent = http.get("/admin/realms/" + REALM + "/agents?name=" + agentName, admin).json().at("/items/0");
        String owen = http.get("/admin/realms/" + REALM + "/users?exact=true&username=owen", admin).json().get(0).get("id").asText();
        List<String> lines = new ArrayList<>(out.lines().toList());
        assertTrue(lines.contains("REGISTERED " + agent.get("id").asText()), out);
        assertTrue(lines.contains("TOKEN DPoP " + agentName), out);
        assertTrue(lines.contains("EXCHANGED sub=" + owen + " act=" + agent.get("serviceAccountUserId").asText()), out);
        assertTrue(agent.get("dpop").asBoolean(), agent.toString());
    }

    @Test
    void theShellExampleRegistersGetsADpopTokenAndExchanges() throws Exception {
        audienceForOwen("example-sh");
        String out = run(List.of("bash", examples().resolve("agent.sh").toString()), "example-sh");
        check(out, "example-sh");
    }

    @Test
    void theJavaExampleRegistersGetsADpopTokenAndExchanges() throws Exception {
        audienceForOwen("example-java");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String out = run(List.of(java, examples().resolve("Agent.java").toString()), "example-java");
        check(out, "example-java");
    }
}
