package dev.nhiguard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SqlStatementsTest {

    @Test
    void countsStatementsByThreadGroupAndKind() {
        List<String> log = List.of(
                "2026-12-05 07:19:05,100 DEBUG [org.hibernate.SQL] (executor-thread-1) select ue1_0.ID from USER_ENTITY ue1_0 where ue1_0.ID=?",
                "2026-12-05 07:19:05,101 DEBUG [org.hibernate.SQL] (executor-thread-12) SELECT 1",
                "2026-12-05 07:19:05,102 DEBUG [org.hibernate.SQL] (executor-thread-1) insert into NHI_AUDIT_STAGED (ID) values (?)",
                "2026-12-05 07:19:05,103 DEBUG [org.hibernate.SQL] (nhi-audit-sequencer-2) update NHI_AUDIT_HEAD set SEQ=? where REALM_ID=?",
                "2026-12-05 07:19:05,104 INFO  [org.keycloak.events] (executor-thread-1) type=CLIENT_LOGIN",
                "2026-12-05 07:19:05,105 DEBUG [org.hibernate.SQL] (Timer-0) delete from NHI_AUDIT_STAGED where ID in (?)",
                "2026-12-05 07:19:05,106 DEBUG [dev.nhiguard.audit.sql] (executor-thread-3) insert into NHI_AUDIT_STAGED (ID, REALM_ID) values (?, ?)",
                "2026-12-05 07:19:05,107 DEBUG [dev.nhiguard.audit.sql] (nhi-audit-sequencer-1) insert into NHI_AUDIT_RECORD (REALM_ID) values (?)",
                "2026-12-05 07:19:05,108 DEBUG [org.keycloak.sql] (executor-thread-1) insert into OTHER (ID) values (?)",
                "not a log line");
        assertEquals(Map.of(
                "executor-thread select", 2,
                "executor-thread insert", 2,
                "nhi-audit-sequencer update", 1,
                "nhi-audit-sequencer insert", 1,
                "Timer delete", 1), SqlStatements.byThreadAndKind(log));
    }

    @Test
    void aLogWithoutStatementsCountsNothing() {
        assertEquals(Map.of(), SqlStatements.byThreadAndKind(List.of(
                "2026-12-05 07:19:13,109 INFO  [io.quarkus] (main) Keycloak 26.7.3 on JVM started in 25.746s.")));
    }
}
