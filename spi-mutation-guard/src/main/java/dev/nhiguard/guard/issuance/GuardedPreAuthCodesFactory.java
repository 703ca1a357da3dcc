package dev.nhiguard.guard.issuance;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.preauth.PreAuthCodeHandler;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.preauth.PreAuthCodeHandlerFactory;

/**
 * Keycloak's OID4VCI pre-authorized code handler with the guard's refusal at redemption ({@link GuardedPreAuthCodes}).
 * Its order makes it the default provider of the SPI; Keycloak's own ({@value #KEYCLOAKS}) makes and verifies the codes.
 * With the guard switched off by the operator, codes are Keycloak's alone.
 */
public final class GuardedPreAuthCodesFactory implements PreAuthCodeHandlerFactory {

    public static final String PROVIDER_ID = "nhi-guard";

    /** Keycloak's own handler's id. */
    static final String KEYCLOAKS = "jwt-pre-auth-code-handler";

    @Override
    public PreAuthCodeHandler create(KeycloakSession session) {
        return KeycloaksProvider.behindTheGuard(session, PreAuthCodeHandler.class, KEYCLOAKS,
                p -> new GuardedPreAuthCodes(session, p));
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public int order() {
        return 1;
    }
}
