package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.keycloak.services.resources.admin.RealmLocalizationResource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Realm overrides of the guard's own texts (the approvals page's buttons, the mails' subjects) are refused. */
class GuardTextsTest {

    static Method method(String name) {
        return Arrays.stream(RealmLocalizationResource.class.getMethods()).filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void overridesOfTheGuardsKeysAreRefusedInEveryForm() throws Exception {
        Method one = method("saveRealmLocalizationText");
        Method many = method("createOrUpdateRealmLocalizationTexts");
        assertNotNull(Admission.guardTextsOverridden(one, Map.of("locale", "en", "key", "nhiapApprove"), null));
        assertNotNull(Admission.guardTextsOverridden(one, Map.of("locale", "zz", "key", "nhiGuardApprovalNeededSubject"), null));
        assertNotNull(Admission.guardTextsOverridden(many, Map.of("locale", "en"),
                json("{\"loginTitle\":\"x\",\"nhiapReject\":\"Approve\"}")));
        assertNotNull(Admission.guardTextsOverridden(method("createOrUpdateRealmLocalizationTextsFromFile"),
                Map.of("locale", "en"), null), "a file the guard does not read");
        // everyday wording of Keycloak's own pages, and deleting an override (the theme's text comes back)
        assertNull(Admission.guardTextsOverridden(one, Map.of("locale", "en", "key", "loginTitle"), null));
        assertNull(Admission.guardTextsOverridden(many, Map.of("locale", "en"), json("{\"loginTitle\":\"x\"}")));
        assertNull(Admission.guardTextsOverridden(method("deleteRealmLocalizationText"),
                Map.of("locale", "en", "key", "nhiapApprove"), null));
    }
}
