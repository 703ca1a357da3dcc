package dev.nhiguard.audit.realmsink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DestinationAllowListTest {

    /** A resolver answering from a fixed table, so no test depends on DNS. */
    private static DestinationAllowList.Resolver dns(Map<String, String> table) {
        return host -> {
            String a = table.get(host);
            if (a == null) {
                throw new UnknownHostException(host);
            }
            String[] parts = a.split(",");
            InetAddress[] out = new InetAddress[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = InetAddress.getByName(parts[i]);
            }
            return out;
        };
    }

    private static final DestinationAllowList.Resolver DNS = dns(Map.of(
            "siem.example.com", "93.184.216.34",
            "a.logs.example.com", "93.184.216.35",
            "internal.example.com", "10.1.2.3",
            "metadata.example.com", "169.254.169.254",
            "mixed.example.com", "93.184.216.34,192.168.1.1",
            "v6.example.com", "fd00::1",
            "mapped.example.com", "::ffff:127.0.0.1",
            "lab.example.com", "10.20.30.40",
            "localhost", "127.0.0.1"));

    private static String refusal(DestinationAllowList list, String url) {
        return list.refusal(URI.create(url), DNS);
    }

    @Test
    void emptyListAllowsNothing() {
        DestinationAllowList none = DestinationAllowList.parse(List.of(), List.of());
        assertFalse(none.enabled());
        assertNotNull(refusal(none, "https://siem.example.com/hook"));
        assertFalse(DestinationAllowList.none().enabled());
    }

    @Test
    void exactNameWithDefaultPortAndScheme() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("https://siem.example.com"), List.of());
        assertTrue(l.enabled());
        assertNull(refusal(l, "https://siem.example.com/hook"));
        assertNull(refusal(l, "https://SIEM.example.com:443/x"));
        assertNull(refusal(l, "https://siem.example.com./x"), "a trailing dot is the same name");
        assertNotNull(refusal(l, "https://siem.example.com:8443/hook"), "another port");
        assertNotNull(refusal(l, "http://siem.example.com/hook"), "another scheme");
        assertNotNull(refusal(l, "https://evil-siem.example.com/hook"));
        assertNotNull(refusal(l, "https://siem.example.com.evil.org/hook"));
        assertNotNull(refusal(l, "file:///etc/passwd"));
        assertNotNull(refusal(l, "ftp://siem.example.com/"));
    }

    @Test
    void wildcardMatchesSubdomainsOnlyAndAnyPortWithStar() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("https://*.logs.example.com:*"), List.of());
        assertNull(refusal(l, "https://a.logs.example.com:9999/in"));
        assertTrue(refusal(l, "https://logs.example.com/in").contains("not in the server's allow-list"));
        assertNotNull(refusal(l, "https://alogs.example.com/in"));
    }

    @Test
    void allowedNameResolvingToNonPublicAddressIsRefused() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("https://*.example.com", "http://localhost:*"), List.of());
        assertTrue(refusal(l, "https://internal.example.com/").contains("private address 10.1.2.3"));
        assertTrue(refusal(l, "https://metadata.example.com/").contains("link-local"));
        assertTrue(refusal(l, "https://mixed.example.com/").contains("192.168.1.1"), "one bad address of several is enough");
        assertTrue(refusal(l, "https://v6.example.com/").contains("unique-local"));
        assertTrue(refusal(l, "https://mapped.example.com/").contains("loopback"), "an IPv4-mapped loopback is loopback");
        assertTrue(refusal(l, "http://localhost:8080/").contains("loopback"));
        assertTrue(refusal(l, "https://nowhere.example.com/").contains("does not resolve"));
        assertNull(refusal(l, "https://siem.example.com/"));
    }

    @Test
    void allowedNetworksLetNamesResolveIntoThem() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("https://*.example.com"), List.of("10.20.0.0/16"));
        assertNull(refusal(l, "https://lab.example.com/"));
        assertNotNull(refusal(l, "https://internal.example.com/"), "10.1.2.3 is outside 10.20.0.0/16");
    }

    @Test
    void ipLiteralEntryIsTheOperatorsExplicitChoice() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("http://127.0.0.1:*", "https://[::1]:8443"), List.of());
        assertNull(refusal(l, "http://127.0.0.1:5000/x"));
        assertNull(refusal(l, "https://[::1]:8443/x"));
        assertNotNull(refusal(l, "http://127.0.0.2:5000/x"));
        assertNotNull(refusal(l, "http://localhost:5000/x"), "a name is not the literal");
    }

    @Test
    void numericHostFormsAreNotNames() {
        DestinationAllowList l = DestinationAllowList.parse(List.of("http://*.example.com:*", "http://127.0.0.1:*"), List.of());
        assertTrue(refusal(l, "http://2130706433/").contains("neither a DNS name"));
        assertNotNull(refusal(l, "http://127.1/"), "java.net.URI reads no host here; refused either way");
        assertNotNull(refusal(l, "http://0x7f.1/"));
        assertNull(refusal(l, "http://[::ffff:127.0.0.1]/"), "the mapped form is the same address the operator named");
    }

    @Test
    void badEntriesAreRefusedAtStart() {
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of("siem.example.com"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of("file:///var/log"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of("https://*"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of("https://a*.example.com"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of("https://x.example.com:99999"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of(), List.of("example.com/8")));
        assertThrows(IllegalArgumentException.class, () -> DestinationAllowList.parse(List.of(), List.of("10.0.0.0/33")));
        assertEquals(List.of("https://siem.example.com"),
                DestinationAllowList.parse(List.of(" https://siem.example.com ", ""), List.of()).entries());
    }

    @Test
    void classifiesNonPublicAddresses() throws Exception {
        for (String a : List.of("0.0.0.0", "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "64:ff9b::7f00:1")) {
            assertNotNull(DestinationAllowList.nonPublic(InetAddress.getByName(a)), a);
        }
        for (String a : List.of("93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946")) {
            assertNull(DestinationAllowList.nonPublic(InetAddress.getByName(a)), a);
        }
    }
}
