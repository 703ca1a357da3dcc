package dev.nhiguard.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Rows of "figure: plain, with NHI Guard, ratio" printed as one table. A figure measured in
 * rounds also shows the range of its per-round ratios (round r of one server against round r of
 * the other): how far the ratio moved within the run.
 */
final class Report {

    private final List<String[]> rows = new ArrayList<>();

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
        System.out.printf(format, (Object[]) head);
        for (String[] r : rows) {
            System.out.printf(format, (Object[]) r);
        }
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
    }
}
