package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** A held write's path is stored with its query, unsealed: a credential-named parameter there is refused. */
class SecretInQueryTest {

    @Test
    void credentialNamedQueryParametersAreRefused() {
        assertNotNull(Admission.secretInQuery("/admin/realms/r/clients/x?secret=abc"));
        assertNotNull(Admission.secretInQuery("/admin/realms/r/clients/x?a=1&client%5Fsecret=abc"));
        assertNotNull(Admission.secretInQuery("/admin/realms/r/users/u?Password=p"));
        assertNull(Admission.secretInQuery("/admin/realms/r/clients/x"));
        assertNull(Admission.secretInQuery("/admin/realms/r/clients/x?first=0&max=10&briefRepresentation=true"));
        assertNull(Admission.secretInQuery("/admin/realms/r/clients/x?bad=%zz"));
    }
}
