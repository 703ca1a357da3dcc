package dev.nhiguard.bench;

import java.util.ArrayList;
import java.util.List;

/** Rows of "figure: plain, with NHI Guard, ratio" printed as one table. */
final class Report {

    private final List<String[]> rows = new ArrayList<>();

    void add(String figure, double plain, double guarded, String unit) {
        rows.add(new String[] {figure, fmt(plain) + " " + unit, fmt(guarded) + " " + unit,
                String.format("%.2f", guarded / plain)});
    }

    void print() {
        String[] head = {"figure", "plain Keycloak", "with NHI Guard", "ratio (NHI/plain)"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        String format = "%-" + w[0] + "s  %" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s%n";
        System.out.printf(format, (Object[]) head);
        for (String[] r : rows) {
            System.out.printf(format, (Object[]) r);
        }
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
    }
}
