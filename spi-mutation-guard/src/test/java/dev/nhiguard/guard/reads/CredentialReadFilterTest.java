package dev.nhiguard.guard.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import jakarta.ws.rs.container.ContainerResponseContext;

import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.CertificateRepresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;

/** What a credential endpoint's answer exposes is read from the answer itself, names only. */
class CredentialReadFilterTest {

    /** A response context holding just an entity (what the filter reads and, for the list, replaces). */
    static final class Answer {
        Object entity;

        ContainerResponseContext context() {
            return (ContainerResponseContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ContainerResponseContext.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "getEntity" -> entity;
                        case "setEntity" -> {
                            entity = args[0];
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }

    static CredentialEndpoint.Match match(CredentialEndpoint e, Map<String, String> params) {
        return new CredentialEndpoint.Match(e, params);
    }

    static ClientRepresentation client(String id, boolean secret) {
        ClientRepresentation c = new ClientRepresentation();
        c.setId(id);
        c.setClientId("client-" + id);
        c.setSecret(secret ? "the-secret-" + id : null);
        c.setAttributes(Map.of());
        return c;
    }

    @Test
    void theListIsRecordedPerClientWithMaterialAndHandedBackAsTheSameItemsClosingTheOriginal() {
        AtomicBoolean closed = new AtomicBoolean();
        List<ClientRepresentation> items = List.of(client("a", true), client("b", false), client("c", true));
        Answer answer = new Answer();
        answer.entity = items.stream().onClose(() -> closed.set(true));
        List<CredentialReadRecorder.Exposure> out = CredentialReadFilter.exposures(match(CredentialEndpoint.CLIENTS, Map.of()),
                answer.context());
        assertEquals(List.of("a", "c"), out.stream().map(CredentialReadRecorder.Exposure::clientUuid).toList());
        assertEquals(List.of("secret"), out.get(0).exposed());
        Stream<?> handedBack = assertInstanceOf(Stream.class, answer.entity);
        try (handedBack) {
            assertEquals(items, handedBack.toList());
        }
        assertTrue(closed.get(), "closing what is written closes Keycloak's stream (and with it its session)");
    }

    @Test
    void secretsAndKeysAreRecordedOnlyWhenTheAnswerCarriesThem() {
        Answer answer = new Answer();
        CredentialRepresentation secret = new CredentialRepresentation();
        secret.setValue("s3cr3t");
        answer.entity = secret;
        Map<String, String> params = Map.of("client-uuid", "x", "attr", "jwt.credential");
        assertEquals(List.of("secret"), CredentialReadFilter.exposures(match(CredentialEndpoint.CLIENT_SECRET, params),
                answer.context()).get(0).exposed());
        assertEquals(List.of("client.secret.rotated"), CredentialReadFilter.exposures(match(CredentialEndpoint.ROTATED_SECRET, params),
                answer.context()).get(0).exposed());
        answer.entity = new CredentialRepresentation();
        assertEquals(List.of(), CredentialReadFilter.exposures(match(CredentialEndpoint.CLIENT_SECRET, params), answer.context()));

        CertificateRepresentation cert = new CertificateRepresentation();
        cert.setCertificate("MIIC");
        answer.entity = cert;
        assertEquals(List.of(), CredentialReadFilter.exposures(match(CredentialEndpoint.CERTIFICATE, params), answer.context()),
                "a certificate alone is not secret");
        cert.setPrivateKey("MIIE");
        assertEquals(List.of("jwt.credential.private.key"),
                CredentialReadFilter.exposures(match(CredentialEndpoint.CERTIFICATE, params), answer.context()).get(0).exposed());

        answer.entity = client("x", false);
        assertEquals(List.of(), CredentialReadFilter.exposures(match(CredentialEndpoint.CLIENT, params), answer.context()),
                "a public client's representation");

        answer.entity = new byte[] {1, 2, 3};
        List<CredentialReadRecorder.Exposure> keystore = CredentialReadFilter.exposures(match(CredentialEndpoint.KEYSTORE, params),
                answer.context());
        assertEquals("x", keystore.get(0).clientUuid());
        assertNull(keystore.get(0).exposed(), "decided on the stored client");
    }
}
