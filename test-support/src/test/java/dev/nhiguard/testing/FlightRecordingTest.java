package dev.nhiguard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import jdk.jfr.Recording;

import org.junit.jupiter.api.Test;

class FlightRecordingTest {

    private static volatile long sink;

    /** Busy for {@code millis} below a method of its own, so its samples can be told apart by that frame. */
    private static void spinInAlpha(long millis) {
        spin(millis, Long::numberOfTrailingZeros);
    }

    private static void spinInBeta(long millis) {
        spin(millis, Long::numberOfLeadingZeros);
    }

    /** Spins until this thread has had {@code millis} of CPU (not of wall time: on a loaded machine it may get little). */
    private static void spin(long millis, java.util.function.LongToIntFunction step) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long end = threads.getCurrentThreadCpuTime() + millis * 1_000_000;
        long x = 1;
        while (threads.getCurrentThreadCpuTime() < end) {
            for (int i = 0; i < 100_000; i++) {
                x = x * 6364136223846793005L + step.applyAsInt(x);
            }
        }
        sink = x;
    }

    @Test
    void countsTheSamplesOfTheNamedThreadsByPartWithinTheWindow() throws Exception {
        Path file = Files.createTempFile("flight", ".jfr");
        Instant from;
        Instant to;
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
            recording.start();
            Thread before = new Thread(() -> spinInBeta(400), "busy-worker-0");
            before.start();
            before.join();
            from = Instant.now();
            Thread alpha = new Thread(() -> spinInAlpha(400), "busy-worker-1");
            Thread beta = new Thread(() -> spinInBeta(400), "busy-worker-2");
            Thread elsewhere = new Thread(() -> spinInAlpha(400), "unrelated-1");
            alpha.start();
            beta.start();
            elsewhere.start();
            alpha.join();
            beta.join();
            elsewhere.join();
            to = Instant.now();
            Thread after = new Thread(() -> spinInBeta(400), "busy-worker-3");
            after.start();
            after.join();
            recording.stop();
            recording.dump(file);
        }
        try {
            Map<String, Integer> counts = FlightRecording.samplesByPart(file, "busy-worker",
                    List.of(new FlightRecording.Part("alpha", "FlightRecordingTest.spinInAlpha"),
                            new FlightRecording.Part("never", "no.such.Method")), from, to);
            assertEquals(List.of("alpha", "never", FlightRecording.OTHER), List.copyOf(counts.keySet()), "every part, in order");
            assertTrue(counts.get("alpha") >= 5, "alpha's thread was sampled: " + counts);
            assertTrue(counts.get(FlightRecording.OTHER) >= 5, "beta's thread is in no part: " + counts);
            // busy-worker-0 and -3 spun in beta as long, before and after the window: counted, other would be about triple.
            assertTrue(counts.get(FlightRecording.OTHER) < counts.get("alpha") * 2 + 5, "only samples in the window: " + counts);
            assertEquals(0, counts.get("never"));
            // The unrelated thread spun in alpha as long as busy-worker-1 did; counted, alpha would be about double.
            Map<String, Integer> unrelated = FlightRecording.samplesByPart(file, "unrelated",
                    List.of(new FlightRecording.Part("alpha", "spinInAlpha")), from, to);
            assertTrue(counts.get("alpha") < unrelated.get("alpha") * 1.6 + 5, "only threads of the prefix: " + counts + " " + unrelated);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
