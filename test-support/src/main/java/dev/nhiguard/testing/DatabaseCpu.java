package dev.nhiguard.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * CPU time of this machine's PostgreSQL server: every process named {@code postgres} (the
 * postmaster, its background workers and one backend per connection), read from Linux's
 * {@code /proc}. The postmaster's waited-for children are counted too, so a backend whose
 * connection closed during a measurement still counts. Only meaningful while one server at a
 * time loads the database.
 */
public final class DatabaseCpu {

    private static final String COMMAND = "postgres";

    private DatabaseCpu() {
    }

    /** CPU seconds (user + system) spent so far by the processes named {@code postgres}. */
    public static double seconds() {
        long ticks = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                String comm;
                try {
                    comm = Files.readString(proc.resolve("comm")).trim();
                } catch (NoSuchFileException e) {
                    continue; // exited meanwhile
                }
                if (COMMAND.equals(comm)) {
                    ticks += ProcStat.cpuTicksWithExitedChildren(Long.parseLong(proc.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return ticks / ProcStat.TICKS_PER_SECOND;
    }
}
