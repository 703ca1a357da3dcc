package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ChainVerifierTest {

    static List<ChainRecords.Sealed> chain(int n) {
        List<ChainRecords.Sealed> out = new ArrayList<>();
        String prev = ChainRecords.GENESIS;
        for (int i = 1; i <= n; i++) {
            ChainRecords.Sealed s = ChainRecords.seal(ChainRecords.draft(ChainRecordsTest.adminEvent("{\"i\":" + i + "}"), true), i, prev);
            out.add(s);
            prev = s.hash();
        }
        return out;
    }

    static String firstProblem(List<ChainRecords.Sealed> records) {
        ChainVerifier v = new ChainVerifier("realm-1", 1, ChainRecords.GENESIS);
        for (ChainRecords.Sealed s : records) {
            String reason = v.next(s.seq(), s.content(), s.hash());
            if (reason != null) {
                return s.seq() + ": " + reason;
            }
        }
        return null;
    }

    @Test
    void soundChainVerifies() {
        assertNull(firstProblem(chain(5)));
    }

    @Test
    void editedContentIsFound() {
        List<ChainRecords.Sealed> c = chain(5);
        ChainRecords.Sealed s = c.get(2);
        c.set(2, new ChainRecords.Sealed(s.seq(), s.type(), s.actorUserId(), s.target(), s.time(),
                s.content().replace("\"i\":3", "\"i\":4"), s.prevHash(), s.hash()));
        String problem = firstProblem(c);
        assertNotNull(problem);
        assertTrue(problem.startsWith("3: hash mismatch"), problem);
    }

    @Test
    void editedContentWithRecomputedHashBreaksTheNextLink() {
        List<ChainRecords.Sealed> c = chain(5);
        ChainRecords.Sealed s = c.get(2);
        String content = s.content().replace("\"i\":3", "\"i\":4");
        c.set(2, new ChainRecords.Sealed(s.seq(), s.type(), s.actorUserId(), s.target(), s.time(), content, s.prevHash(), Canonical.sha256Hex(content)));
        String problem = firstProblem(c);
        assertTrue(problem.startsWith("4: prevHash"), problem);
    }

    @Test
    void deletedRecordIsFound() {
        List<ChainRecords.Sealed> c = chain(5);
        c.remove(1);
        assertTrue(firstProblem(c).startsWith("3: record 2 is missing"), firstProblem(c));
    }

    @Test
    void nonCanonicalContentIsFound() {
        List<ChainRecords.Sealed> c = chain(2);
        ChainRecords.Sealed s = c.get(0);
        String content = " " + s.content();
        c.set(0, new ChainRecords.Sealed(1, s.type(), null, null, 0, content, s.prevHash(), Canonical.sha256Hex(content)));
        assertTrue(firstProblem(c).startsWith("1: content is not in RFC 8785 canonical form"), firstProblem(c));
    }
}
