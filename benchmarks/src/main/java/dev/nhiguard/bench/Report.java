package dev.nhiguard.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Rows of "figure: plain, with NHI Guard, ratio" printed as one table. A figure measured in
 * rounds also shows the range of its per-round ratios (round r of one server against round r of
 * the other): how far the ratio moved within the run. A figure of CPU may also be split by the
 * server's threads, printed as a table of its own below: where a difference in CPU is spent; and
 * a count per request (SQL statements) split by thread and kind.
 */
final class Report {

    /** A thread group is shown on its own when it holds this share of plain Keycloak's CPU, or differs by half of it. */
    private static final double SHOWN_SHARE = 0.02;

    private final List<String[]> rows = new ArrayList<>();
    private final List<String> byThread = new ArrayList<>();

    void add(String figure, double plain, double guarded, String unit) {
        rows.add(new String[] {figure, fmt(plain) + " " + unit, fmt(guarded) + " " + unit,
                String.format("%.2f", guarded / plain), ""});
    }

    /** A figure of paired rounds: the medians over rounds, their ratio and the range of the per-round ratios. */
    <T> void add(String figure, List<T> plain, List<T> guarded, ToDoubleFunction<T> value, String unit) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < Math.min(plain.size(), guarded.size()); r++) {
            double ratio = value.applyAsDouble(guarded.get(r)) / value.applyAsDouble(plain.get(r));
            min = Math.min(min, ratio);
            max = Math.max(max, ratio);
        }
        double p = Bench.median(plain, value);
        double g = Bench.median(guarded, value);
        rows.add(new String[] {figure, fmt(p) + " " + unit, fmt(g) + " " + unit, String.format("%.2f", g / p),
                min > max ? "" : String.format("%.2f–%.2f", min, max)});
    }

    /**
     * A figure of CPU split by thread group (milliseconds per request per group, one map per
     * round): the medians over rounds of each group on each server and their difference, largest
     * first; groups below {@link #SHOWN_SHARE} are summed as "other threads".
     */
    <T> void addByThread(String figure, List<T> plain, List<T> guarded, Function<T, Map<String, Double>> byThreadOf) {
        TreeSet<String> names = new TreeSet<>();
        plain.forEach(s -> names.addAll(byThreadOf.apply(s).keySet()));
        guarded.forEach(s -> names.addAll(byThreadOf.apply(s).keySet()));
        List<ThreadGroup> groups = new ArrayList<>();
        for (String name : names) {
            groups.add(new ThreadGroup(name, Bench.median(plain, s -> byThreadOf.apply(s).getOrDefault(name, 0.0)),
                    Bench.median(guarded, s -> byThreadOf.apply(s).getOrDefault(name, 0.0))));
        }
        addSplit(String.format("%s by server thread (ms per request, medians over rounds; "
                + "Linux keeps 15 characters of a thread's name):", figure), "thread", groups, true);
    }

    /**
     * A count per request split into groups (SQL statements by thread and kind, "executor-thread
     * insert"; stack samples by part of the code), one pass on each server: every group shown,
     * with the sum, under {@code title}.
     */
    void addCounts(String title, String groupHeader, Map<String, Double> plain, Map<String, Double> guarded) {
        TreeSet<String> names = new TreeSet<>(plain.keySet());
        names.addAll(guarded.keySet());
        List<ThreadGroup> groups = new ArrayList<>();
        for (String name : names) {
            groups.add(new ThreadGroup(name, plain.getOrDefault(name, 0.0), guarded.getOrDefault(name, 0.0)));
        }
        addSplit(title, groupHeader, groups, false);
    }

    /** A table of groups, largest first, and their sum; with {@code foldSmall}, groups below {@link #SHOWN_SHARE} summed as "other threads". */
    private void addSplit(String title, String groupHeader, List<ThreadGroup> groups, boolean foldSmall) {
        groups.sort(Comparator.comparingDouble(g -> -Math.max(g.plain(), g.guarded())));
        double plainTotal = groups.stream().mapToDouble(ThreadGroup::plain).sum();
        StringBuilder out = new StringBuilder(title).append(System.lineSeparator());
        out.append(String.format(THREAD_ROW, groupHeader, "plain Keycloak", "with NHI Guard", "difference"));
        ThreadGroup other = new ThreadGroup("other threads", 0, 0);
        ThreadGroup sum = new ThreadGroup("sum", 0, 0);
        for (ThreadGroup g : groups) {
            sum = sum.plus(g);
            if (!foldSmall || Math.max(g.plain(), g.guarded()) >= SHOWN_SHARE * plainTotal
                    || Math.abs(g.guarded() - g.plain()) >= SHOWN_SHARE / 2 * plainTotal) {
                out.append(g.row());
            } else {
                other = other.plus(g);
            }
        }
        if (foldSmall) {
            out.append(other.row());
        }
        byThread.add(out.append(sum.row()).toString());
    }

    private static final String THREAD_ROW = "  %-34s  %14s  %14s  %10s%n";

    /** One line of a split by thread: a group's CPU per request on each server, in milliseconds. */
    private record ThreadGroup(String name, double plain, double guarded) {

        ThreadGroup plus(ThreadGroup g) {
            return new ThreadGroup(name, plain + g.plain, guarded + g.guarded);
        }

        String row() {
            return String.format(THREAD_ROW, name, String.format("%.3f", plain), String.format("%.3f", guarded),
                    String.format("%+.3f", guarded - plain));
        }
    }

    void print() {
        String[] head = {"figure", "plain Keycloak", "with NHI Guard", "ratio (NHI/plain)", "per-round ratios"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        String format = "%-" + w[0] + "s  %" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %" + w[4] + "s%n";
        if (!rows.isEmpty()) {
            System.out.printf(format, (Object[]) head);
            for (String[] r : rows) {
                System.out.printf(format, (Object[]) r);
            }
        }
        for (String table : byThread) {
            System.out.println();
            System.out.print(table);
        }
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
    }
}
