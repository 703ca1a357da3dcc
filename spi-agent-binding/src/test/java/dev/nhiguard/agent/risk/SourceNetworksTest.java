package dev.nhiguard.agent.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class SourceNetworksTest {

    @Test
    void ipv4AddressesShareTheirSlash24() {
        assertEquals("203.0.113.0/24", SourceNetworks.prefixOf("203.0.113.7"));
        assertEquals("203.0.113.0/24", SourceNetworks.prefixOf("203.0.113.250"));
        assertEquals("127.0.1.0/24", SourceNetworks.prefixOf("127.0.1.2"));
        assertEquals("10.1.2.0/24", SourceNetworks.prefixOf("::ffff:10.1.2.3"));
    }

    @Test
    void ipv6AddressesShareTheirSlash64() {
        assertEquals("2001:db8:1:2::/64", SourceNetworks.prefixOf("2001:db8:1:2:aaaa::1"));
        assertEquals("2001:db8:1:2::/64", SourceNetworks.prefixOf("[2001:0db8:0001:0002:ffff:0:0:9]"));
        assertEquals("0:0:0:0::/64", SourceNetworks.prefixOf("::1"));
    }

    @Test
    void namesAndGarbageAreNotNetworks() {
        assertNull(SourceNetworks.prefixOf(null));
        assertNull(SourceNetworks.prefixOf("example.com"));
        assertNull(SourceNetworks.prefixOf("localhost"));
        assertNull(SourceNetworks.prefixOf("999.1.1.1"));
        assertNull(SourceNetworks.prefixOf(""));
    }
}
