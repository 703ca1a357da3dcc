package dev.nhiguard.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** CPU time of a process from Linux's {@code /proc/<pid>/stat} (fields 14 and 15: utime, stime). */
final class ProcStat {

    /** Clock ticks per second ({@code getconf CLK_TCK}); 100 on every Linux kernel this runs on. */
    static final double TICKS_PER_SECOND = 100.0;

    private ProcStat() {
    }

    /** utime + stime of the process in clock ticks; 0 when it has exited. */
    static long cpuTicks(long pid) {
        String[] f = fields(pid);
        return f == null ? 0 : Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * utime + stime of the process and cutime + cstime of its children that have exited and
     * been waited for, in clock ticks; 0 when it has exited.
     */
    static long cpuTicksWithExitedChildren(long pid) {
        String[] f = fields(pid);
        return f == null ? 0 : Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    /**
     * utime + stime of each live thread of the process, in clock ticks, summed by thread name
     * with a trailing number taken off ({@code GC Thread#1} and {@code GC Thread#0} are one
     * group, {@code GC Thread}). Linux cuts a thread's name to 15 characters. Threads that have
     * exited are not listed: their time is only in {@link #cpuTicks}. Empty when the process has exited.
     */
    static Map<String, Long> cpuTicksByThreadName(long pid) {
        Map<String, Long> ticks = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread exited while the directory was listed
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceFirst("[#-]?\\d+$", "");
                String[] f = afterName(stat);
                ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            }
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/" + pid + "/task", e);
        }
        return ticks;
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name (field 3 first), or null when the process has exited. */
    private static String[] fields(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
        return afterName(stat);
    }

    /** The fields of a {@code stat} file after the name (field 3 first). */
    private static String[] afterName(String stat) {
        // The name (field 2) is in parentheses and may contain spaces and ')': count from its last ')'.
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
