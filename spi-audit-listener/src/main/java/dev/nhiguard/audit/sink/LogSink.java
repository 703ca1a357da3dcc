package dev.nhiguard.audit.sink;

import java.util.List;

import org.jboss.logging.Logger;

/** Writes each record as one JSON line at INFO to the log category {@value #CATEGORY}. */
public final class LogSink implements Sink {

    public static final String CATEGORY = "nhi.audit.chain";
    private static final Logger CHAIN = Logger.getLogger(CATEGORY);

    @Override
    public String id() {
        return "log";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<String> lines) {
        for (String line : lines) {
            CHAIN.info(line);
        }
        return null;
    }
}
