package dev.nhiguard.audit.sink;

import java.util.List;

import org.jboss.logging.Logger;

/** Writes each record and checkpoint as one JSON line (in the sink's format) at INFO to the log category {@value #CATEGORY}. */
public final class LogSink implements Sink {

    public static final String CATEGORY = "nhi.audit.chain";
    private static final Logger CHAIN = Logger.getLogger(CATEGORY);

    private final SinkFormat format;

    public LogSink(SinkFormat format) {
        this.format = format;
    }

    @Override
    public String id() {
        return "log";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<SinkItem> items) {
        for (SinkItem item : items) {
            CHAIN.info(format.render(item));
        }
        return null;
    }
}
