package dev.nhiguard.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads the stack samples of a Java Flight Recording ({@code jdk.ExecutionSample}, one every
 * 10 ms per running Java thread with JFR's {@code profile} settings) and counts them by part of
 * the code: where a server spends its CPU, in numbers two servers that ran the same requests can
 * be compared by.
 */
public final class FlightRecording {

    /** What a sample is counted under when no part matches it. */
    public static final String OTHER = "other";

    /**
     * A part of the code: a sample is in it when a frame of its stack is in one of the methods
     * named ({@code Class.method} or any part of {@code fully.qualified.Class.method}).
     */
    public record Part(String name, List<String> frames) {
        public Part(String name, String... frames) {
            this(name, List.of(frames));
        }

        boolean holds(List<String> stack) {
            for (String frame : stack) {
                for (String f : frames) {
                    if (frame.contains(f)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    private FlightRecording() {
    }

    /**
     * The execution samples taken from {@code from} (inclusive) to {@code to} (exclusive) of the
     * threads whose name starts with {@code threadPrefix}, each counted under the first of
     * {@code parts} it is in, or under {@link #OTHER}; every part appears in the result, in
     * order, {@link #OTHER} last.
     */
    public static Map<String, Integer> samplesByPart(Path recording, String threadPrefix, List<Part> parts, Instant from,
            Instant to) throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        parts.forEach(p -> counts.put(p.name(), 0));
        counts.put(OTHER, 0);
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null
                        || e.getStartTime().isBefore(from) || !e.getStartTime().isBefore(to)) {
                    continue;
                }
                RecordedThread thread = e.getThread("sampledThread");
                if (thread == null || thread.getJavaName() == null || !thread.getJavaName().startsWith(threadPrefix)) {
                    continue;
                }
                List<String> stack = e.getStackTrace().getFrames().stream().map(FlightRecording::name).toList();
                String part = parts.stream().filter(p -> p.holds(stack)).map(Part::name).findFirst().orElse(OTHER);
                counts.merge(part, 1, Integer::sum);
            }
        }
        return counts;
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }
}
