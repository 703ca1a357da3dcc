package dev.nhiguard.audit.realmsink;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where realm sinks may deliver: the operator's allow-list of destinations
 * ({@code scheme://host[:port]}, host an exact name, {@code *.suffix} or an IP literal, port a
 * number or {@code *}) and of networks a name may resolve into although they are not public.
 * Deny by default: an empty list allows nothing. A host matched by name must resolve only to
 * public addresses (not loopback, link-local, private, unique-local, CGNAT, multicast,
 * unspecified, …) unless an address lies in an allowed network; a host matched by an IP literal
 * pattern is the operator's explicit choice of that address.
 */
public final class DestinationAllowList {

    /** Resolves a host name to its addresses (the JVM's resolver in production, a fake in tests). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public static final Resolver SYSTEM = InetAddress::getAllByName;

    static final Map<String, Integer> DEFAULT_PORTS = Map.of("http", 80, "https", 443, "syslog", 514, "syslog+tls", 6514);

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private record Entry(String scheme, String host, boolean wildcard, InetAddress literal, int port) {
    }

    private record Network(byte[] prefix, int bits) {
        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != prefix.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((b[i / 8] & mask) != (prefix[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Entry> entries;
    private final List<Network> networks;
    private final List<String> text;

    private DestinationAllowList(List<Entry> entries, List<Network> networks, List<String> text) {
        this.entries = List.copyOf(entries);
        this.networks = List.copyOf(networks);
        this.text = List.copyOf(text);
    }

    /** Nothing allowed: realm sinks are off. */
    public static DestinationAllowList none() {
        return new DestinationAllowList(List.of(), List.of(), List.of());
    }

    /**
     * @param destinations {@code scheme://host[:port|:*]} entries (schemes http, https, syslog, syslog+tls)
     * @param allowedNetworks CIDRs ({@code 10.1.0.0/16}, {@code ::1/128}) allowed names may resolve into
     * @throws IllegalArgumentException naming the bad entry
     */
    public static DestinationAllowList parse(List<String> destinations, List<String> allowedNetworks) {
        List<Entry> entries = new ArrayList<>();
        List<String> text = new ArrayList<>();
        for (String raw : destinations) {
            String d = raw.trim().toLowerCase(Locale.ROOT);
            if (d.isEmpty()) {
                continue;
            }
            int sep = d.indexOf("://");
            if (sep <= 0) {
                throw new IllegalArgumentException("realm sink destination must be scheme://host[:port], is " + raw);
            }
            String scheme = d.substring(0, sep);
            if (!DEFAULT_PORTS.containsKey(scheme)) {
                throw new IllegalArgumentException("realm sink destination scheme must be one of " + DEFAULT_PORTS.keySet() + ": " + raw);
            }
            String rest = d.substring(sep + 3);
            if (rest.endsWith("/")) {
                rest = rest.substring(0, rest.length() - 1);
            }
            String host;
            String port = null;
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("realm sink destination has an unclosed IPv6 literal: " + raw);
                }
                host = rest.substring(1, close);
                if (close + 1 < rest.length()) {
                    if (rest.charAt(close + 1) != ':') {
                        throw new IllegalArgumentException("realm sink destination must be scheme://host[:port], is " + raw);
                    }
                    port = rest.substring(close + 2);
                }
            } else {
                int colon = rest.lastIndexOf(':');
                host = colon < 0 ? rest : rest.substring(0, colon);
                port = colon < 0 ? null : rest.substring(colon + 1);
            }
            int p;
            if (port == null) {
                p = DEFAULT_PORTS.get(scheme);
            } else if (port.equals("*")) {
                p = -1;
            } else {
                p = port(port, raw);
            }
            InetAddress literal = literal(host);
            boolean wildcard = host.startsWith("*.");
            String name = wildcard ? host.substring(2) : host;
            if (literal == null && (host.contains("*") && !wildcard || !NAME.matcher(name).matches() || isNumeric(name))) {
                throw new IllegalArgumentException("realm sink destination host must be a name, *.suffix or an IP literal: " + raw);
            }
            entries.add(new Entry(scheme, literal == null ? name : null, wildcard, literal, p));
            text.add(raw.trim());
        }
        List<Network> nets = new ArrayList<>();
        for (String raw : allowedNetworks) {
            String n = raw.trim();
            if (n.isEmpty()) {
                continue;
            }
            int slash = n.indexOf('/');
            InetAddress a = literal(slash < 0 ? n : n.substring(0, slash));
            if (a == null) {
                throw new IllegalArgumentException("realm sink allowed network must be an address or CIDR: " + raw);
            }
            int max = a.getAddress().length * 8;
            int bits = slash < 0 ? max : port(n.substring(slash + 1), raw);
            if (bits > max) {
                throw new IllegalArgumentException("realm sink allowed network has a prefix longer than the address: " + raw);
            }
            nets.add(new Network(a.getAddress(), bits));
        }
        return new DestinationAllowList(entries, nets, text);
    }

    /** Whether any destination is allowed (realm sinks are on). */
    public boolean enabled() {
        return !entries.isEmpty();
    }

    /** The entries as the operator wrote them. */
    public List<String> entries() {
        return text;
    }

    /**
     * Why the destination is refused, or null when allowed: its scheme, host and port must match
     * an entry, and a host matched by name must resolve only to public addresses or to allowed
     * networks. Resolution happens here, so call it at request time, at apply and before each
     * delivery.
     */
    public String refusal(URI uri, Resolver resolver) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return "the destination names no host";
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        Integer dflt = DEFAULT_PORTS.get(scheme);
        if (dflt == null) {
            return "scheme '" + scheme + "' is not allowed for realm sinks";
        }
        int port = uri.getPort() < 0 ? dflt : uri.getPort();
        InetAddress literal = literal(host);
        if (literal == null && (!NAME.matcher(host).matches() || isNumeric(host))) {
            return "host '" + host + "' is neither a DNS name nor a canonical IP address";
        }
        boolean byName = false;
        boolean matched = false;
        for (Entry e : entries) {
            if (!e.scheme().equals(scheme) || (e.port() >= 0 && e.port() != port)) {
                continue;
            }
            if (e.literal() != null) {
                if (literal != null && e.literal().equals(literal)) {
                    return null; // the operator named this address explicitly
                }
            } else if (literal == null && (host.equals(e.host()) && !e.wildcard()
                    || e.wildcard() && host.endsWith("." + e.host()))) {
                matched = true;
                byName = true;
            }
        }
        if (!matched) {
            return scheme + "://" + (literal instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port
                    + " is not in the server's allow-list of realm sink destinations";
        }
        if (byName) {
            InetAddress[] addresses;
            try {
                addresses = resolver.resolve(host);
            } catch (UnknownHostException e) {
                return "host '" + host + "' does not resolve";
            }
            if (addresses == null || addresses.length == 0) {
                return "host '" + host + "' does not resolve";
            }
            for (InetAddress a : addresses) {
                String kind = nonPublic(a);
                if (kind != null && networks.stream().noneMatch(n -> n.contains(a))) {
                    return "host '" + host + "' resolves to " + kind + " address " + a.getHostAddress()
                            + ", which the server does not allow for realm sinks";
                }
            }
        }
        return null;
    }

    /** What kind of non-public address this is, or null for a public one. */
    static String nonPublic(InetAddress a) {
        if (a.isAnyLocalAddress()) {
            return "an unspecified";
        }
        if (a.isLoopbackAddress()) {
            return "a loopback";
        }
        if (a.isLinkLocalAddress()) {
            return "a link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "a private";
        }
        if (a.isMulticastAddress()) {
            return "a multicast";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int o0 = b[0] & 0xff;
            int o1 = b[1] & 0xff;
            if (o0 == 0 || o0 >= 240 || (o0 == 100 && (o1 & 0xc0) == 64) || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0)
                    || (o0 == 198 && (o1 == 18 || o1 == 19))) {
                return "a reserved";
            }
        } else if ((b[0] & 0xfe) == 0xfc) {
            return "a unique-local";
        } else if (isV4Embedded(b)) {
            return "an IPv4-embedding";
        }
        return null;
    }

    /** ::ffff:0:0/96 (mapped), 64:ff9b::/96 (NAT64), ::/96 (compatible): the IPv4 address inside decides, so refuse. */
    private static boolean isV4Embedded(byte[] b) {
        boolean zero80 = true;
        for (int i = 0; i < 10; i++) {
            zero80 &= b[i] == 0;
        }
        boolean mapped = zero80 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = zero80 && b[10] == 0 && b[11] == 0;
        boolean nat64 = (b[0] & 0xff) == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        return mapped || compatible || nat64;
    }

    /** A canonical IP literal (dotted quad, or IPv6 with ':'), else null; never resolves a name. */
    static InetAddress literal(String host) {
        if (host == null) {
            return null;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!IPV4.matcher(h).matches() && !(h.contains(":") && h.matches("[0-9a-fA-F:.]+"))) {
            return null;
        }
        try {
            return InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Names that are all digits, dots or hex forms are refused: resolvers read them as addresses (127.1, 2130706433, 0x7f.1). */
    private static boolean isNumeric(String host) {
        String last = host.substring(host.lastIndexOf('.') + 1);
        return last.matches("[0-9]+") || last.matches("0x[0-9a-f]*");
    }

    private static int port(String s, String raw) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("realm sink destination has a bad number: " + raw);
        }
    }
}
