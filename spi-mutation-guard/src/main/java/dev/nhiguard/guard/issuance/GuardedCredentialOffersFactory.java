package dev.nhiguard.guard.issuance;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferProvider;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferProviderFactory;

/**
 * Keycloak's OID4VCI credential-offer provider with the guard's refusal in front ({@link GuardedCredentialOffers}). Its
 * order makes it the default provider of the SPI; Keycloak's own ({@value #KEYCLOAKS}) does the work. With the guard
 * switched off by the operator, offers are Keycloak's alone.
 */
public final class GuardedCredentialOffersFactory implements CredentialOfferProviderFactory {

    public static final String PROVIDER_ID = "nhi-guard";

    /** Keycloak's own provider's id. */
    static final String KEYCLOAKS = "default";

    @Override
    public CredentialOfferProvider create(KeycloakSession session) {
        return KeycloaksProvider.behindTheGuard(session, CredentialOfferProvider.class, KEYCLOAKS,
                p -> new GuardedCredentialOffers(session, p));
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
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
