package dev.nhiguard.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

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
        // The command name (field 2) is in parentheses and may contain spaces: count from its end.
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
