package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The guard README's kcadm.sh recipes, run verbatim (the block between its
 * {@code kcadm-recipes} markers) with {@code bash -e} and the distribution's own
 * {@code bin/kcadm.sh}, then judged by their effect through the REST API: the write was held,
 * approved by a second person with a step-up token, applied, a rollback request exists, and the
 * chain verifies and exports.
 */
@ExtendWith(KeycloakExtension.class)
class KcadmRecipesIT {

    static final Path README = Path.of("..", "spi-mutation-guard", "README.md");
    static final Pattern BLOCK = Pattern.compile("<!-- kcadm-recipes:begin -->\\s*```bash\\n(.*?)```\\s*<!-- kcadm-recipes:end -->",
            Pattern.DOTALL);
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theReadmeRecipesTakeAChangeFromRequestToRollbackAndExportTheChain(KeycloakTarget keycloak) throws Exception {
        Matcher m = BLOCK.matcher(Files.readString(README));
        assertTrue(m.find(), "the guard README must hold the kcadm.sh recipes block");
        String script = m.group(1);
        GuardTestRealm r = new GuardTestRealm(keycloak);
        String cara = r.token("cara");
        String id = r.clientUuid("sa-kcadm", cara);
        assertTrue(r.getJson(GuardTestRealm.ADMIN + "/clients/" + id, cara).path("enabled").asBoolean());

        Path dir = Files.createTempDirectory("kcadm-recipes");
        Path bin = DistributionKeycloak.Settings.fromSystemProperties().home().resolve("bin").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-c", script).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("PATH", bin + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KC", keycloak.baseUri().toString().replaceAll("/$", ""));
        env.put("REALM", GuardTestRealm.REALM);
        env.put("CLIENT", "sa-kcadm");
        env.put("REQUESTER", "cara");
        env.put("REQUESTER_PASSWORD", "cara-pass");
        env.put("APPROVER_TOKEN", r.token("ben"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), "the recipes failed:\n" + out);

        // held, then approved by ben, applied: the client is disabled
        Matcher held = Pattern.compile("change request ([0-9a-f-]{36})").matcher(Files.readString(dir.resolve("held.txt")));
        assertTrue(held.find(), Files.readString(dir.resolve("held.txt")));
        String cr = held.group(1);
        assertTrue(Files.readString(dir.resolve("pending.json")).contains(cr), "the list shows the pending request");
        JsonNode shown = JSON.readTree(dir.resolve("request.json").toFile());
        assertEquals("PENDING", shown.path("state").asText());
        assertTrue(shown.path("diff").toString().contains("enabled"), shown.toString());
        JsonNode applied = r.getJson(GuardTestRealm.GUARD + "/change-requests/" + cr, cara);
        assertEquals("APPLIED", applied.path("state").asText(), applied.toString());
        assertTrue(applied.path("approvals").toString().contains("ben"), applied.path("approvals").toString());
        assertFalse(r.getJson(GuardTestRealm.ADMIN + "/clients/" + id, cara).path("enabled").asBoolean(), "applied");

        // the rollback is a new pending request restoring the before-image
        String rollback = Files.readString(dir.resolve("rollback.txt")).trim();
        JsonNode rb = r.getJson(GuardTestRealm.GUARD + "/change-requests/" + rollback, cara);
        assertEquals("PENDING", rb.path("state").asText(), rb.toString());
        assertEquals(cr, rb.path("rollbackOf").asText(), rb.toString());

        // the chain verifies, and the export holds the request's records
        assertTrue(JSON.readTree(dir.resolve("verify.json").toFile()).path("ok").asBoolean(),
                Files.readString(dir.resolve("verify.json")));
        String chain = Files.readString(dir.resolve("chain.jsonl"));
        assertTrue(chain.contains(cr), "the export holds the change request's records");

        // leave the realm as it was
        r.http.post(GuardTestRealm.GUARD + "/change-requests/" + rollback + "/cancel", r.token("cara"), null);
    }
}
