package dev.nhiguard.audit.realmsink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import dev.nhiguard.audit.sink.SinkFormat;
import dev.nhiguard.audit.sink.SinkItem;
import dev.nhiguard.audit.sink.WebhookSink;

/** A realm sink's destination cannot hand the delivery on: a redirect is a failed delivery, never followed. */
class WebhookRedirectTest {

    @Test
    void aRedirectIsAFailureAndIsNotFollowed() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger followed = new AtomicInteger();
        int port = server.getAddress().getPort();
        server.createContext("/hook", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + port + "/internal");
            ex.sendResponseHeaders(307, -1);
            ex.close();
        });
        server.createContext("/internal", ex -> {
            followed.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            WebhookSink sink = new WebhookSink(URI.create("http://127.0.0.1:" + port + "/hook"), "a-webhook-secret-of-length",
                    SinkFormat.NATIVE, false);
            String failure = sink.deliver("r", 1, 1, List.of(new SinkItem(SinkItem.Kind.RECORD, "r", 1, 0, "{\"seq\":1}")));
            assertEquals("HTTP 307", failure);
            assertEquals(0, followed.get());
        } finally {
            server.stop(0);
        }
    }
}
