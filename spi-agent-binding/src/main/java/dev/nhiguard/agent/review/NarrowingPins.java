package dev.nhiguard.agent.review;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.keycloak.models.GroupModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.RoleUtils;

/**
 * What a narrowed role or group gave the service account, as a digest: a role's name and the names of every role its
 * composites reach; a group's path and every role it and the groups above it map, through composites. A revalidation
 * gives back only what still gives what it gave when it was taken: while the account is narrowed it holds none of it,
 * so renaming the role, adding a composite to it, moving the group or mapping a role to it (or to a group above it)
 * reaches no guarded subject and is not held; restoring it by id afterwards would hand the account whatever it had
 * become.
 */
final class NarrowingPins {

    private NarrowingPins() {
    }

    static String of(RoleModel role) {
        return digest("role " + Snapshots.name(role), RoleUtils.expandCompositeRolesStream(Stream.of(role)));
    }

    static String of(GroupModel group) {
        List<RoleModel> mapped = new ArrayList<>();
        for (GroupModel g = group; g != null; g = g.getParent()) {
            g.getRoleMappingsStream().forEach(mapped::add);
        }
        return digest("group " + KeycloakModelUtils.buildGroupPath(group),
                mapped.stream().flatMap(r -> RoleUtils.expandCompositeRolesStream(Stream.of(r))));
    }

    private static String digest(String subject, Stream<RoleModel> reached) {
        TreeSet<String> names = new TreeSet<>();
        reached.forEach(r -> names.add(r.getId() + " " + Snapshots.name(r)));
        return Snapshots.digest(subject + "\n" + String.join("\n", names));
    }
}
