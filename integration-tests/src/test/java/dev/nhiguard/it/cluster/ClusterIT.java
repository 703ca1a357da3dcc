package dev.nhiguard.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.ClientsResource;
import org.keycloak.representations.idm.ClientRepresentation;

import dev.nhiguard.testing.KeycloakCluster;
import dev.nhiguard.testing.KeycloakClusterExtension;
import dev.nhiguard.testing.ServerChecks;

/**
 * Two Keycloak nodes with our providers on one PostgreSQL form one cluster: both load every
 * provider, and a change made through one node is seen through the other (cache invalidation
 * works), which is what the cluster tests of the modules build on.
 */
@ExtendWith(KeycloakClusterExtension.class)
class ClusterIT {

    @Test
    void bothNodesLoadOurProviders(KeycloakCluster cluster) {
        for (var node : cluster.nodes()) {
            ServerChecks.assertProvidersLoaded(node);
        }
    }

    @Test
    void aChangeThroughOneNodeIsSeenThroughTheOther(KeycloakCluster cluster) {
        ClientsResource onA = cluster.node(0).adminClient().realm("master").clients();
        ClientsResource onB = cluster.node(1).adminClient().realm("master").clients();
        // read through B first, so B has the realm's clients cached
        assertTrue(onB.findByClientId("cluster-probe").isEmpty());

        ClientRepresentation probe = new ClientRepresentation();
        probe.setClientId("cluster-probe");
        probe.setDescription("created on node A");
        probe.setPublicClient(true);
        onA.create(probe).close();

        List<ClientRepresentation> seenOnB = onB.findByClientId("cluster-probe");
        assertEquals(1, seenOnB.size());
        assertEquals("created on node A", seenOnB.get(0).getDescription());

        ClientRepresentation update = seenOnB.get(0);
        update.setDescription("updated on node B");
        onB.get(update.getId()).update(update);
        assertEquals("updated on node B", onA.get(update.getId()).toRepresentation().getDescription());
        onA.get(update.getId()).remove();
    }
}
