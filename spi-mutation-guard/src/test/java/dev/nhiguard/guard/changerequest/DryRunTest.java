package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.sealing.Sealer;

class DryRunTest {

    static Match match(String op, Map<String, String> vars, TargetType type, String id) {
        return new Match(Catalogue.get().byId(op).orElseThrow(), vars, type, id);
    }

    @Test
    void aClientUpdateThatAlsoOverridesFlowsHasOneTargetTheClient() {
        List<DryRun.Target> targets = DryRun.targets(List.of(
                match("client-flow-override", Map.of("client", "u1"), TargetType.CLIENTS, null),
                match("client-update", Map.of("client", "u1"), TargetType.CLIENT, "u1")));
        assertEquals(1, targets.size(), targets.toString());
        assertEquals(TargetType.CLIENT, targets.get(0).type());
        assertEquals("u1", targets.get(0).id());
    }

    @Test
    void theRealmImageCoversItsPolicyAttribute() {
        List<DryRun.Target> targets = DryRun.targets(List.of(
                match("realm-security-settings", Map.of(), TargetType.REALM, null),
                match("realm-guard-policy-attribute", Map.of(), TargetType.GUARD_POLICY, null)));
        assertEquals(List.of(TargetType.REALM), targets.stream().map(DryRun.Target::type).toList());
    }

    @Test
    void everySafeOperationIsACatalogueOperation() {
        DryRun.SAFE.forEach(op -> Catalogue.get().byId(op).orElseThrow(() -> new AssertionError(op)));
    }

    @Test
    void aCredentialKeycloakGeneratedInTheDryRunIsNeverShown() throws Exception {
        Sealer sealer = JsonDiffTest.SEALER;
        JsonNode before = sealer.fingerprintOnly(JsonDiffTest.json("{'client':{'secret':'old','attributes':{'client.secret.rotated':'older'}}}"));
        JsonNode after = sealer.fingerprintOnly(JsonDiffTest.json("{'client':{'secret':'generated-in-dry-run','attributes':{'client.secret.rotated':'old'}}}"));
        JsonNode shown = DryRun.withoutGenerated(after, Set.copyOf(Sealer.fingerprints(before).values()));
        assertEquals(DryRun.GENERATED, shown.at("/client/secret").asText(), shown.toString());
        assertEquals(Sealer.fingerprintOf(before.at("/client/secret")), Sealer.fingerprintOf(shown.at("/client/attributes/client.secret.rotated")),
                "the rotated secret is the old one, known by its fingerprint: " + shown);
        JsonNode diff = JsonDiff.diff(SealedView.image(before), SealedView.image(shown));
        assertEquals(JsonDiffTest.json("[{'op':'replace','path':'/client/secret','sealed':'replaced','to':'" + DryRun.GENERATED + "'}]"),
                diff, "the kept rotated secret is no change; the generated one is named, without value or fingerprint");
    }

    /** Twenty-third review: what an upload newly hides is found; a hidden value that only moved in a list is not new. */
    @Test
    void aValueNewlyHiddenIsFoundAndOneThatMovedIsNot() {
        var mapper = new TargetState.Hidden(dev.nhiguard.guard.catalogue.TargetType.CLIENT, "c1", "/client/protocolMappers/3/config/x");
        var moved = new TargetState.Hidden(dev.nhiguard.guard.catalogue.TargetType.CLIENT, "c1", "/client/protocolMappers/0/config/x");
        var jwks = new TargetState.Hidden(dev.nhiguard.guard.catalogue.TargetType.CLIENT, "c1", "/client/attributes/jwks.string");
        assertEquals(null, DryRun.newlyHidden(java.util.List.of(mapper), java.util.List.of(moved)));
        assertEquals(jwks.toString(), DryRun.newlyHidden(java.util.List.of(mapper), java.util.List.of(moved, jwks)));
    }

    /** Twenty-third review: a keystore's private key an upload sets is the requester's, not one Keycloak generated. */
    @Test
    void aCredentialAnUploadSetsIsShownAsTheRequestersFile() throws Exception {
        Sealer sealer = JsonDiffTest.SEALER;
        JsonNode after = sealer.fingerprintOnly(JsonDiffTest.json("{'client':{'attributes':{'jwt.credential.private.key':'from-the-file'}}}"));
        JsonNode shown = DryRun.withoutGenerated(after, Set.of(), DryRun.UPLOADED);
        assertEquals(DryRun.UPLOADED, shown.at("/client/attributes/jwt.credential.private.key").asText(), shown.toString());
    }
}
