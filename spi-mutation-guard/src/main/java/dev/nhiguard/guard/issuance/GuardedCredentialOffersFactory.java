package dev.nhiguard.guard.issuance;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferProvider;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferProviderFactory;
import org.keycloak.provider.ProviderFactory;

import dev.nhiguard.guard.admission.GuardSwitch;

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
        ProviderFactory<CredentialOfferProvider> keycloaks = session.getKeycloakSessionFactory()
                .getProviderFactory(CredentialOfferProvider.class, KEYCLOAKS);
        if (keycloaks == null) {
            throw new IllegalStateException("Keycloak's credential-offer provider '" + KEYCLOAKS + "' is not deployed");
        }
        CredentialOfferProvider offers = keycloaks.create(session);
        return GuardSwitch.switchedOff() ? offers : new GuardedCredentialOffers(session, offers);
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
