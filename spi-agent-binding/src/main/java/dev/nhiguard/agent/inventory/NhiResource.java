package dev.nhiguard.agent.inventory;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.ErrorResponse;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import dev.nhiguard.agent.enforcement.AgentBindingExecutorFactory;
import dev.nhiguard.agent.enforcement.SecurityProfileCheck;

/** {@code /admin/realms/{realm}/nhi}: what non-human identities the realm has. */
public final class NhiResource {

    static final int MAX_PAGE = 1000;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;

    NhiResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
    }

    /** One service-account client of the inventory. */
    public record Entry(String id, String clientId, boolean enabled, String clientAuthenticatorType,
                        String serviceAccountUserId) {
    }

    /** A page of the inventory. */
    public record Page(int first, int max, long total, List<Entry> items) {
    }

    /** Whether agent token-time enforcement is active on this server. */
    public record Status(boolean tokenTimeEnforcement, String securityProfile, String detail, String requiredOption) {
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public Status status() {
        auth.clients().requireView();
        SecurityProfileCheck.Status s = SecurityProfileCheck.check(session);
        return new Status(s.enforced(), s.securityProfile(), s.detail(),
                "--spi-security-profile--default--name=" + AgentBindingExecutorFactory.SECURITY_PROFILE);
    }

    @GET
    @Path("inventory")
    @Produces(MediaType.APPLICATION_JSON)
    public Response inventory(@QueryParam("first") Integer first, @QueryParam("max") Integer max) {
        auth.clients().requireView();
        int from = first == null ? 0 : first;
        int size = max == null ? 100 : max;
        if (from < 0 || size < 1 || size > MAX_PAGE) {
            throw ErrorResponse.error("first must be >= 0 and max between 1 and " + MAX_PAGE, Response.Status.BAD_REQUEST);
        }
        List<ClientModel> all = realm.getClientsStream()
                .filter(ClientModel::isServiceAccountsEnabled)
                .sorted(java.util.Comparator.comparing(ClientModel::getClientId))
                .toList();
        List<Entry> items = all.stream().skip(from).limit(size).map(this::entry).toList();
        return Response.ok(new Page(from, size, all.size(), items)).build();
    }

    private Entry entry(ClientModel client) {
        UserModel sa = session.users().getServiceAccount(client);
        return new Entry(client.getId(), client.getClientId(), client.isEnabled(), client.getClientAuthenticatorType(),
                sa == null ? null : sa.getId());
    }
}
