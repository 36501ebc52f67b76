using System.Globalization;
using System.Text;
using Facilities.Cloud.Access;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.Operations;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format: what ingestion and the telemetry store did since start-up, and
/// the open alerts and devices by state as the database has them now (so every instance reports the same).
/// </summary>
internal static class MetricsEndpoint
{
    public static void MapMetrics(this IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", async (IngestMetrics ingest, IngestionHealth health, TelemetryStoreMetrics store, MqttIngestor consumer, CloudDatabase database, TimeProvider time, HttpContext context, CancellationToken ct) =>
        {
            var text = new StringBuilder();
            void Metric(string name, string type, string help, IEnumerable<(string Labels, double Value)> samples)
            {
                text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
                foreach (var (labels, value) in samples)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {value}\n");
                }
            }

            Metric("facilities_cloud_messages_total", "counter", "Gateway messages by outcome since start-up.",
            [
                ("{outcome=\"accepted\"}", ingest.Accepted), ("{outcome=\"duplicate\"}", ingest.Duplicates),
                ("{outcome=\"dead_lettered\"}", ingest.DeadLettered), ("{outcome=\"ignored\"}", ingest.Ignored),
            ]);
            Metric("facilities_cloud_dead_letters_total", "counter", "Gateway messages refused and kept in dead_letters since start-up, by what was wrong.",
                ingest.DeadLetteredByCause.Select(d => ($"{{reason=\"{ReasonLabel(d.Cause)}\"}}", (double)d.Count)));
            var (batches, batched) = ingest.Batches;
            Metric("facilities_cloud_ingest_batches_total", "counter", "Batches the consumer stored (one database transaction each) since start-up.", [("", batches)]);
            Metric("facilities_cloud_ingest_batched_messages_total", "counter", "Messages in the batches the consumer stored since start-up (divided by the batches: the mean batch).", [("", batched)]);
            var consumed = ingest.Consumer;
            Metric("facilities_cloud_ingest_consumer_seconds_total", "counter",
                "The consumer's time since start-up by what it waited for: the next batch to arrive, its transaction, the previous batch's acknowledgements. The largest bounds ingestion.",
                [("{phase=\"waiting\"}", consumed.Waiting.TotalSeconds), ("{phase=\"storing\"}", consumed.Storing.TotalSeconds), ("{phase=\"acknowledging\"}", consumed.Acknowledging.TotalSeconds)]);
            var ingestion = health.Check();
            Metric("facilities_cloud_ingestion_stalled", "gauge", "1 while a batch has waited longer than Ingestion:StallWindow without being stored (/healthz answers 503).",
                [("", ingestion.Stalled ? 1 : 0)]);
            Metric("facilities_cloud_ingestion_waiting_seconds", "gauge", "How long the batch in hand has waited to be stored (0 when none waits).", [("", ingestion.Waiting.TotalSeconds)]);
            Metric("facilities_cloud_ingestion_store_failures_total", "counter", "Failed attempts to store a batch (retried) since start-up.", [("", ingestion.Failures)]);
            Metric("facilities_cloud_mqtt_connected", "gauge", "1 while the consumer is connected to the broker (every consumer slot this instance owns).", [("", consumer.Connected ? 1 : 0)]);
            Metric("facilities_cloud_mqtt_slots", "gauge", "Consumer slots in all (Mqtt:ConsumerSlots), divided between the live instances.", [("", consumer.TotalSlots)]);
            Metric("facilities_cloud_mqtt_slots_owned", "gauge", "Consumer slots this instance owns now.", [("", consumer.OwnedSlots.Count)]);
            Metric("facilities_cloud_mqtt_slot_owned", "gauge", "1 for each consumer slot this instance owns (its session is {Mqtt:ClientId}-slot-{slot}).",
                consumer.OwnedSlots.Select(s => (string.Create(CultureInfo.InvariantCulture, $"{{slot=\"{s}\"}}"), 1.0)));
            Metric("facilities_cloud_mqtt_slots_connected", "gauge", "Consumer slots this instance owns and has connected to the broker.", [("", consumer.ConnectedSlots)]);
            Metric("facilities_cloud_mqtt_live_instances", "gauge", "Cloud instances alive at the last rebalance of the consumer slots, this one included.", [("", consumer.LiveInstances)]);
            var influx = store.Snapshot();
            Metric("facilities_cloud_influx_lines_total", "counter", "Telemetry lines by fate since start-up (dropped: the oldest of the history outbox past Influx:MaxBacklogBytes).",
                [("{fate=\"written\"}", influx.Written), ("{fate=\"dropped\"}", influx.Dropped), ("{fate=\"rejected\"}", influx.Rejected)]);
            Metric("facilities_cloud_influx_dropped_bytes_total", "counter", "Bytes of line protocol dropped from the history outbox since start-up.", [("", influx.DroppedBytes)]);
            // The backlog as the database has it now (every instance reports the same); nothing to ask without InfluxDB.
            var backlog = context.RequestServices.GetService<HistoryOutboxStore>() is { } outbox ? await outbox.BacklogAsync(ct) : HistoryBacklog.Empty;
            Metric("facilities_cloud_influx_buffered_lines", "gauge", "Telemetry lines waiting in the history outbox to be written to InfluxDB.", [("", backlog.Lines)]);
            Metric("facilities_cloud_influx_backlog_rows", "gauge", "Rows (ingest batches) waiting in the history outbox.", [("", backlog.Rows)]);
            Metric("facilities_cloud_influx_backlog_bytes", "gauge", "Bytes of line protocol waiting in the history outbox (bounded by Influx:MaxBacklogBytes).", [("", backlog.Bytes)]);
            Metric("facilities_cloud_influx_backlog_oldest_seconds", "gauge", "Age of the oldest row waiting in the history outbox (0 when none waits).",
                [("", backlog.Oldest is { } oldest ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0)]);
            if (context.RequestServices.GetService<EmbeddedBroker>() is { } broker)
            {
                BrokerMetrics(broker.Counters, Metric);
            }

            var (alerts, devices) = await OperationsStore.CountsAsync(database, ct);
            Metric("facilities_cloud_open_alerts", "gauge", "Alerts not resolved, by state and severity.",
                alerts.Select(a => ($"{{state=\"{a.State}\",severity=\"{a.Severity}\"}}", (double)a.Count)));
            Metric("facilities_cloud_devices", "gauge", "Devices by link state.", devices.Select(d => ($"{{state=\"{d.State}\"}}", (double)d.Count)));
            return Results.Text(text.ToString(), "text/plain; version=0.0.4");
        }).RequireAuthorization(Policies.Engineer); // Prometheus sends an API token (authorization: credentials)

    /// <summary>The embedded broker's refusals and drops (docs/cloud-broker.md, *Limits*); absent with an external broker.</summary>
    private static void BrokerMetrics(BrokerCounterSnapshot broker, Action<string, string, string, IEnumerable<(string Labels, double Value)>> metric)
    {
        metric("facilities_cloud_broker_connections_refused_total", "counter", "Embedded broker: connections refused or closed before login, by reason.",
        [
            ("{reason=\"bad_credentials\"}", broker.BadCredentials), ("{reason=\"client_id\"}", broker.ClientIdRefused),
            ("{reason=\"connect_timeout\"}", broker.ConnectTimeouts), ("{reason=\"authentication_timeout\"}", broker.AuthenticationTimeouts),
        ]);
        metric("facilities_cloud_broker_packets_too_large_total", "counter", "Embedded broker: connections closed for announcing a packet above Broker:Limits:MaxPacketSize.",
            [("", broker.PacketsTooLarge)]);
        metric("facilities_cloud_broker_protocol_violations_total", "counter", "Embedded broker: connections closed for a protocol violation.", [("", broker.ProtocolViolations)]);
        metric("facilities_cloud_broker_publishes_refused_total", "counter", "Embedded broker: publishes refused, by reason.",
            [("{reason=\"not_authorised\"}", broker.PublishesRefused), ("{reason=\"retained_limit\"}", broker.RetainedRefused)]);
        metric("facilities_cloud_broker_subscriptions_refused_total", "counter", "Embedded broker: subscriptions refused by the ACL.", [("", broker.SubscriptionsRefused)]);
        metric("facilities_cloud_broker_dead_letters_dropped_total", "counter", "Embedded broker: refused publishes not written to dead_letters (queue full).",
            [("", broker.DeadLettersDropped)]);
    }

    /// <summary>The cause as a Prometheus label value: <c>non_finite</c> for <see cref="RejectionCause.NonFinite"/>.</summary>
    private static string ReasonLabel(RejectionCause cause) => cause switch
    {
        RejectionCause.NonFinite => "non_finite",
        _ => cause.ToString().ToLowerInvariant(),
    };
}
