package dev.nhiguard.verifier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verifier's memory ({@code --state FILE}): per realm, the head of the last successful run,
 * {@code {"v":1,"realms":{"<realmId>":{"seq":n,"hash":"<hex>"}}}}. A missing file is an empty
 * state (the first run trusts what it sees); the file is replaced atomically after a success.
 */
final class State {

    private final Map<String, Object> realms;

    private State(Map<String, Object> realms) {
        this.realms = realms;
    }

    @SuppressWarnings("unchecked")
    static State read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new State(new LinkedHashMap<>());
        }
        Object parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8).strip());
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("realms") instanceof Map<?, ?> r)) {
            throw new IllegalArgumentException("state file " + file + " is not a verifier state");
        }
        for (Object v : r.values()) {
            if (!(v instanceof Map<?, ?> e) || !(e.get("seq") instanceof Json.Num) || !(e.get("hash") instanceof String h)
                    || !h.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("state file " + file + " has a malformed entry");
            }
        }
        return new State(new LinkedHashMap<>((Map<String, Object>) r));
    }

    List<AuditVerifier.TrustedHead> heads(String source) {
        List<AuditVerifier.TrustedHead> out = new ArrayList<>();
        realms.forEach((realmId, v) -> {
            Map<?, ?> e = (Map<?, ?>) v;
            out.add(new AuditVerifier.TrustedHead(realmId, Long.parseLong(((Json.Num) e.get("seq")).text()), (String) e.get("hash"),
                    "state " + source, true));
        });
        return out;
    }

    void put(String realmId, long seq, String hash) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("seq", new Json.Num(Long.toString(seq)));
        e.put("hash", hash);
        realms.put(realmId, e);
    }

    void write(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("v", new Json.Num("1"));
        root.put("realms", realms);
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        Files.writeString(tmp, Json.write(root) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
