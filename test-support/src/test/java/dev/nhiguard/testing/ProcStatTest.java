package dev.nhiguard.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/** The benchmark's split of a server's CPU by thread, read from this JVM's own {@code /proc/<pid>/task}. */
class ProcStatTest {

    @Test
    void aThreadsCpuIsCountedUnderItsNameWithoutTheTrailingNumber() throws InterruptedException {
        CountDownLatch spun = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread busy = new Thread(() -> {
            // 0.4 s of this thread's own CPU time (40 clock ticks), however busy the machine is.
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long end = threads.getCurrentThreadCpuTime() + 400_000_000L;
            while (threads.getCurrentThreadCpuTime() < end) {
                Thread.onSpinWait();
            }
            spun.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "busy-worker-7");
        busy.start();
        try {
            spun.await();
            long pid = ProcessHandle.current().pid();
            Map<String, Long> byName = ProcStat.cpuTicksByThreadName(pid);
            long total = ProcStat.cpuTicks(pid);
            assertFalse(byName.containsKey("busy-worker-7"), "the trailing number is part of the name: " + byName.keySet());
            assertTrue(byName.getOrDefault("busy-worker", 0L) >= 20, "busy-worker: " + byName.get("busy-worker") + " ticks");
            long sum = byName.values().stream().mapToLong(Long::longValue).sum();
            assertTrue(sum <= total, "live threads " + sum + " ticks, process " + total);
        } finally {
            release.countDown();
            busy.join();
        }
    }
}
