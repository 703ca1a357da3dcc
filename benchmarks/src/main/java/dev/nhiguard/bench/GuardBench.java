package dev.nhiguard.bench;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;

/**
 * A guarded change end to end: regenerating the secret of a service-account client in realm
 * {@code bench-guard} (benchmarks/src/main/realms/bench-guard-realm.json, cooldown 0). With NHI
 * Guard the requester's write is held (202), a second admin holding {@code nhi-approver}
 * approves the digest (200) and the requester applies it (200); on plain Keycloak the same
 * requester's write is answered at once (200). Each step is timed as the round trip of its
 * request on loopback; fresh logins (the guard's step-up needs an authentication within 5
 * minutes) are taken outside the timed calls.
 */
final class GuardBench {

    static final String REALM = "bench-guard";
    static final String ADMIN = "/admin/realms/" + REALM;
    static final String CLIENT = "bench-guarded-svc";

    private final int changes;
    private final int rounds;

    GuardBench(int changes, int rounds) {
        this.changes = changes;
        this.rounds = rounds;
    }

    /** One round's timings on the guarded server, per step and for the whole change. */
    private record Guarded(Stats create, Stats approve, Stats apply, Stats total) {
    }

    void run(Servers servers, Report report) {
        // warm-up of both servers (class loading, caches); not measured
        directSample(servers.plain, Math.min(changes, 10));
        guardedSample(servers.guarded, Math.min(changes, 10));
        List<Stats> plain = new ArrayList<>();
        List<Guarded> guarded = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                plain.add(directSample(servers.plain, changes));
                guarded.add(guardedSample(servers.guarded, changes));
            } else {
                guarded.add(guardedSample(servers.guarded, changes));
                plain.add(directSample(servers.plain, changes));
            }
        }
        for (int p : new int[] {50, 99}) {
            double direct = Bench.median(plain, s -> s.percentileMillis(p));
            report.add("secret regeneration p" + p + ": direct write vs create+approve+apply", direct,
                    Bench.median(guarded, g -> g.total().percentileMillis(p)), "ms");
            report.add("  step create (held, 202) p" + p + " vs direct write", direct,
                    Bench.median(guarded, g -> g.create().percentileMillis(p)), "ms");
            report.add("  step approve p" + p + " vs direct write", direct,
                    Bench.median(guarded, g -> g.approve().percentileMillis(p)), "ms");
            report.add("  step apply p" + p + " vs direct write", direct,
                    Bench.median(guarded, g -> g.apply().percentileMillis(p)), "ms");
        }
    }

    /** The requester regenerates the secret directly (plain Keycloak answers 200). */
    private Stats directSample(DistributionKeycloak server, int n) {
        HttpAdmin http = server.http().http1();
        long[] times = new long[n];
        String token = null;
        String path = null;
        for (int i = 0; i < n; i++) {
            if (i % 20 == 0) {
                token = login(http, "requester");
                path = ADMIN + "/clients/" + clientUuid(http, token) + "/client-secret";
            }
            long t0 = System.nanoTime();
            HttpAdmin.Response r = http.post(path, token, null);
            times[i] = System.nanoTime() - t0;
            Bench.check(r, 200);
        }
        return Stats.of(times);
    }

    /** The requester's write is held, an approver approves its digest, the requester applies it. */
    private Guarded guardedSample(DistributionKeycloak server, int n) {
        HttpAdmin http = server.http().http1();
        long[] create = new long[n];
        long[] approve = new long[n];
        long[] apply = new long[n];
        long[] total = new long[n];
        String requester = null;
        String approver = null;
        String path = null;
        for (int i = 0; i < n; i++) {
            if (i % 20 == 0) {
                requester = login(http, "requester");
                approver = login(http, "approver" + (1 + (i / 20) % 2));
                path = ADMIN + "/clients/" + clientUuid(http, requester) + "/client-secret";
            }
            long t0 = System.nanoTime();
            HttpAdmin.Response held = http.post(path, requester, null);
            create[i] = System.nanoTime() - t0;
            Bench.check(held, 202);
            JsonNode cr = held.json();
            String id = cr.path("id").asText();
            String base = ADMIN + "/mutation-guard/change-requests/" + id;

            long t1 = System.nanoTime();
            HttpAdmin.Response approved = http.post(base + "/approve", approver,
                    "{\"digest\":\"" + cr.path("digest").asText() + "\"}");
            approve[i] = System.nanoTime() - t1;
            Bench.check(approved, 200);
            if (!"APPROVED".equals(approved.json().path("state").asText())) {
                throw new IllegalStateException("expected APPROVED after one approval: " + approved.body());
            }

            long t2 = System.nanoTime();
            HttpAdmin.Response applied = http.post(base + "/apply", requester, null);
            apply[i] = System.nanoTime() - t2;
            Bench.check(applied, 200);
            if (applied.json().path("result").path("status").asInt() != 200) {
                throw new IllegalStateException("apply did not regenerate the secret: " + applied.body());
            }
            total[i] = create[i] + approve[i] + apply[i];
        }
        return new Guarded(Stats.of(create), Stats.of(approve), Stats.of(apply), Stats.of(total));
    }

    /**
     * A fresh password login through admin-cli; each user of the bench realm has the password
     * {@code <username>-bench-pass}. Refreshed every 20 changes, well within the step-up max age.
     */
    private static String login(HttpAdmin http, String username) {
        return http.passwordGrant(REALM, "admin-cli", username, username + "-bench-pass", null).get("access_token").asText();
    }

    private static String clientUuid(HttpAdmin http, String token) {
        HttpAdmin.Response r = http.get(ADMIN + "/clients?clientId=" + CLIENT, token);
        Bench.check(r, 200);
        return r.json().get(0).get("id").asText();
    }
}
