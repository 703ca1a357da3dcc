package dev.nhiguard.audit.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes each item to a Kafka topic with the realm id as key, so a realm's items land in one
 * partition in stream order. The producer is idempotent ({@code enable.idempotence=true},
 * {@code acks=all}, one request in flight): a batch counts as delivered only when every item of it
 * is acknowledged by the in-sync replicas; at the first failure the producer is closed (so nothing
 * after the failed item is written; a new producer takes over at the next attempt) and the batch
 * is delivered again from the sink's cursor: at-least-once, first arrivals in order per realm.
 */
public final class KafkaSink implements Sink {

    /** Producer settings this sink fixes; an operator's properties file may not change them. */
    static final Set<String> FIXED = Set.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.ACKS_CONFIG, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, ProducerConfig.RETRIES_CONFIG, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            ProducerConfig.COMPRESSION_TYPE_CONFIG);

    private final String topic;
    private final SinkFormat format;
    private final Properties properties;
    private final long timeoutMillis;
    private Producer<String, String> producer;

    /**
     * @param bootstrapServers {@code host:port,…}
     * @param extra            more producer properties (TLS, SASL, client.id, linger.ms, …), none of {@link #FIXED}
     * @param timeoutSeconds   how long a batch may take before it counts as failed
     */
    public KafkaSink(String bootstrapServers, String topic, SinkFormat format, Map<String, String> extra, int timeoutSeconds) {
        for (String key : extra.keySet()) {
            if (FIXED.contains(key)) {
                throw new IllegalArgumentException("the Kafka sink sets " + key + " itself; remove it from kafka-properties-file");
            }
        }
        this.topic = topic;
        this.format = format;
        this.timeoutMillis = timeoutSeconds * 1000L;
        Properties p = new Properties();
        p.putAll(extra);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1000, timeoutMillis - 1000)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(timeoutMillis + 100));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeoutMillis));
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "nhi-audit-chain");
        this.properties = p;
    }

    @Override
    public String id() {
        return "kafka";
    }

    @Override
    public synchronized String deliver(String realmId, long first, long last, List<SinkItem> items) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis + 1000);
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        try {
            Producer<String, String> p = producer();
            List<Future<RecordMetadata>> sent = new ArrayList<>(items.size());
            for (SinkItem item : items) {
                // On the first failure the producer is closed from its I/O thread at once: with one
                // request in flight, nothing after the failed message can still be written, so a
                // consumer never sees a later item before an earlier one first arrives.
                sent.add(p.send(new ProducerRecord<>(topic, realmId, format.render(item)), (metadata, failure) -> {
                    if (failure != null) {
                        firstFailure.compareAndSet(null, failure);
                        p.close(Duration.ZERO);
                    }
                }));
            }
            p.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            return null;
        } catch (ExecutionException e) {
            return failed(firstFailure, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            return failed(firstFailure, new TimeoutException("no acknowledgement within " + timeoutMillis + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(firstFailure, e);
        } catch (RuntimeException e) {
            return failed(firstFailure, e);
        }
    }

    /** Drops the producer and names the first failure (a later one is often only "producer closed"). */
    private String failed(AtomicReference<Exception> first, Throwable fallback) {
        reset();
        Throwable cause = first.get() != null ? first.get() : fallback;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private Producer<String, String> producer() {
        if (producer == null) {
            // Kafka resolves configured classes through the context class loader: make it ours.
            Thread t = Thread.currentThread();
            ClassLoader before = t.getContextClassLoader();
            t.setContextClassLoader(KafkaSink.class.getClassLoader());
            try {
                producer = new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer());
            } finally {
                t.setContextClassLoader(before);
            }
        }
        return producer;
    }

    /** Drops the producer after a failure; the next delivery starts a new idempotence session. */
    private void reset() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // closing a failed producer: nothing more to do
            }
            producer = null;
        }
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }
}
