namespace Facilities.Cloud.Storage;

/// <summary>
/// The cloud's schema, as appended steps. Times are Unix milliseconds (UTC) in BIGINT columns, identical on both
/// databases. Each area owns its step; new steps only ever go at the end.
/// </summary>
public static class Schema
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "ingestion: seen messages, dead letters, gateways, devices, latest values", d => $"""
            CREATE TABLE seen_messages (
                site TEXT NOT NULL, gateway TEXT NOT NULL, seq BIGINT NOT NULL, received_at BIGINT NOT NULL,
                PRIMARY KEY (site, gateway, seq));
            CREATE INDEX seen_messages_received ON seen_messages (received_at);
            CREATE TABLE dead_letters (
                id {d.IdentityColumn}, received_at BIGINT NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL, payload {d.Blob} NOT NULL);
            CREATE INDEX dead_letters_received ON dead_letters (received_at);
            CREATE TABLE gateways (
                site TEXT NOT NULL, gateway TEXT NOT NULL, state TEXT NOT NULL, state_since BIGINT NOT NULL, last_seen BIGINT NOT NULL,
                status_ts BIGINT NOT NULL, version TEXT, devices INTEGER NOT NULL DEFAULT 0, devices_online INTEGER NOT NULL DEFAULT 0,
                outbox_depth BIGINT NOT NULL DEFAULT 0, outbox_dropped BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (site, gateway));
            CREATE TABLE devices (
                site TEXT NOT NULL, device TEXT NOT NULL, gateway TEXT NOT NULL, kind TEXT NOT NULL, building TEXT NOT NULL,
                state TEXT NOT NULL, state_reason TEXT, state_since BIGINT NOT NULL, state_ts BIGINT NOT NULL, last_seen BIGINT NOT NULL,
                PRIMARY KEY (site, device));
            CREATE TABLE latest_values (
                site TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, value {d.RealNumber} NOT NULL, label TEXT, ts BIGINT NOT NULL,
                prev_value {d.RealNumber}, prev_ts BIGINT,
                PRIMARY KEY (site, device, point))
            """),
        new(2, "alerts: one open alert per subject and rule, audit trail", d => $"""
            CREATE TABLE alerts (
                id {d.IdentityColumn}, site TEXT NOT NULL, gateway TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, building TEXT NOT NULL,
                rule_id TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, title TEXT NOT NULL, detail TEXT, value {d.RealNumber},
                opened_at BIGINT NOT NULL, fired_at BIGINT, acknowledged_at BIGINT, acknowledged_by TEXT, resolved_at BIGINT, resolved_by TEXT,
                clear_since BIGINT, occurrences INTEGER NOT NULL DEFAULT 1, flapping INTEGER NOT NULL DEFAULT 0, suppressed TEXT,
                updated_at BIGINT NOT NULL);
            CREATE UNIQUE INDEX alerts_one_open ON alerts (site, device, rule_id) WHERE state <> 'resolved';
            CREATE INDEX alerts_state ON alerts (state, site);
            CREATE INDEX alerts_subject ON alerts (site, device, rule_id, opened_at);
            CREATE TABLE alert_events (
                id {d.IdentityColumn}, alert_id BIGINT NOT NULL REFERENCES alerts (id), at BIGINT NOT NULL, action TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT);
            CREATE INDEX alert_events_alert ON alert_events (alert_id, at)
            """),
        new(3, "notifications: outbox of deliveries with attempts, escalation ladder per alert and route", d => $"""
            CREATE TABLE notifications (
                id {d.IdentityColumn}, alert_id BIGINT NOT NULL REFERENCES alerts (id), event TEXT NOT NULL, route TEXT NOT NULL,
                escalation_level BIGINT NOT NULL, repeat_round BIGINT NOT NULL, contact TEXT NOT NULL, channel TEXT NOT NULL, channel_type TEXT NOT NULL,
                target TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, dedupe_key TEXT NOT NULL,
                state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT,
                created_at BIGINT NOT NULL, sent_at BIGINT, updated_at BIGINT NOT NULL);
            CREATE UNIQUE INDEX notifications_once ON notifications (dedupe_key);
            CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
            CREATE INDEX notifications_alert ON notifications (alert_id);
            CREATE TABLE notification_attempts (
                notification_id BIGINT NOT NULL REFERENCES notifications (id), attempt BIGINT NOT NULL, at BIGINT NOT NULL,
                delivered BIGINT NOT NULL, detail TEXT NOT NULL, duration_ms BIGINT NOT NULL,
                PRIMARY KEY (notification_id, attempt));
            CREATE TABLE alert_escalations (
                alert_id BIGINT NOT NULL REFERENCES alerts (id), route TEXT NOT NULL, level BIGINT NOT NULL, repeat_round BIGINT NOT NULL,
                next_at BIGINT, stopped TEXT, updated_at BIGINT NOT NULL,
                PRIMARY KEY (alert_id, route));
            CREATE INDEX alert_escalations_due ON alert_escalations (next_at)
            """),
        new(4, "work orders: one open order per device and rule, deadlines, breaches, timeline", d => $"""
            CREATE TABLE work_orders (
                id {d.IdentityColumn}, site TEXT NOT NULL, building TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL,
                rule_id TEXT NOT NULL, alert_id BIGINT REFERENCES alerts (id), title TEXT NOT NULL, severity TEXT NOT NULL, priority TEXT NOT NULL,
                status TEXT NOT NULL, team TEXT, assignee TEXT, respond_by BIGINT, resolve_by BIGINT,
                responded_at BIGINT, resolved_at BIGINT, closed_at BIGINT, respond_breached_at BIGINT, resolve_breached_at BIGINT,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
            CREATE UNIQUE INDEX work_orders_one_open ON work_orders (site, device, rule_id) WHERE status NOT IN ('resolved', 'closed');
            CREATE INDEX work_orders_status ON work_orders (status, site);
            CREATE TABLE work_order_events (
                id {d.IdentityColumn}, order_id BIGINT NOT NULL REFERENCES work_orders (id), at BIGINT NOT NULL, action TEXT NOT NULL,
                actor TEXT NOT NULL, detail TEXT);
            CREATE INDEX work_order_events_order ON work_order_events (order_id, at)
            """),
        new(5, "read models: a device counter's first and last reading per site-local day (trips and door cycles per day)", d => $"""
            CREATE TABLE counter_days (
                site TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, day TEXT NOT NULL,
                first_value {d.RealNumber} NOT NULL, first_ts BIGINT NOT NULL, last_value {d.RealNumber} NOT NULL, last_ts BIGINT NOT NULL,
                PRIMARY KEY (site, device, point, day))
            """),
        new(6, "preventive work orders: one order per device and schedule period; the one-open rule applies to orders from alerts", d => """
            ALTER TABLE work_orders ADD COLUMN schedule_key TEXT;
            CREATE UNIQUE INDEX work_orders_scheduled ON work_orders (site, device, schedule_key);
            DROP INDEX work_orders_one_open;
            CREATE UNIQUE INDEX work_orders_one_open ON work_orders (site, device, rule_id) WHERE status NOT IN ('resolved', 'closed') AND schedule_key IS NULL
            """),
        new(7, "work-order webhook: outbox of timeline events to deliver, with attempts and a lease", d => $"""
            CREATE TABLE work_order_webhooks (
                event_id BIGINT PRIMARY KEY REFERENCES work_order_events (id), order_id BIGINT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL,
                state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT,
                created_at BIGINT NOT NULL, delivered_at BIGINT);
            CREATE INDEX work_order_webhooks_due ON work_order_webhooks (state, next_attempt_at)
            """),
        new(10, "access: users with roles and password hashes, sign-in sessions, API tokens (session ids and tokens stored hashed)", d => $"""
            CREATE TABLE users (
                id {d.IdentityColumn}, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
            CREATE UNIQUE INDEX users_name ON users (name);
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
            CREATE INDEX sessions_user ON sessions (user_id);
            CREATE INDEX sessions_expiry ON sessions (expires_at);
            CREATE TABLE api_tokens (
                id {d.IdentityColumn}, user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE, label TEXT NOT NULL,
                token_hash TEXT NOT NULL, created_at BIGINT NOT NULL, last_used_at BIGINT);
            CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
            CREATE INDEX api_tokens_user ON api_tokens (user_id)
            """),
        new(11, "ingestion: handled sequence numbers as runs per gateway (one row per run instead of one per message), from seen_messages", d => """
            CREATE TABLE seen_ranges (
                site TEXT NOT NULL, gateway TEXT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,
                first_received BIGINT NOT NULL, last_received BIGINT NOT NULL,
                PRIMARY KEY (site, gateway, first_seq));
            CREATE INDEX seen_ranges_received ON seen_ranges (last_received);
            INSERT INTO seen_ranges (site, gateway, first_seq, last_seq, first_received, last_received)
                SELECT site, gateway, MIN(seq), MAX(seq), MIN(received_at), MAX(received_at) FROM (
                    SELECT site, gateway, seq, received_at, seq - ROW_NUMBER() OVER (PARTITION BY site, gateway ORDER BY seq) AS run
                    FROM seen_messages) numbered
                GROUP BY site, gateway, run;
            DROP TABLE seen_messages
            """),
        new(12, "ingestion: room in every page of the constantly updated tables (latest values, devices, gateways, runs of sequence numbers) for in-page updates on PostgreSQL", d => string.Join(";\n",
            d.KeepFreeForUpdates("latest_values", 50), d.KeepFreeForUpdates("devices", 50), d.KeepFreeForUpdates("gateways", 50), d.KeepFreeForUpdates("seen_ranges", 50))),
        new(13, "ingestion: a version per gateway's stream, raised by every transaction that handles its device messages, so an instance knows when its copy of the gateway's devices is still what is stored", d => string.Join(";\n",
            "CREATE TABLE gateway_streams (site TEXT NOT NULL, gateway TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (site, gateway))",
            d.KeepFreeForUpdates("gateway_streams", 50))),
        new(14, "pages: what changed last in alerts and work orders, found through an index (every open page asks each second)", d => """
            CREATE INDEX alerts_updated ON alerts (updated_at);
            CREATE INDEX work_orders_updated ON work_orders (updated_at)
            """),
        // history_outbox_backlog covers what the backlog's size and age are summed from, so that reads the index, not the bodies.
        new(20, "telemetry store: the history outbox, one row of line protocol per ingest batch until InfluxDB took it, with a lease for the instance sending it", d => $"""
            CREATE TABLE history_outbox (
                id {d.IdentityColumn}, created_at BIGINT NOT NULL, lines BIGINT NOT NULL, bytes BIGINT NOT NULL,
                leased_until BIGINT NOT NULL DEFAULT 0, body TEXT NOT NULL);
            CREATE INDEX history_outbox_backlog ON history_outbox (created_at, lines, bytes);
            {d.Uncompressed("history_outbox", "body")}
            """),
        // Every device and gateway known before this step is due at once, so the due-work worker computes its real times.
        // The SLA monitor's deadlines: its check reads the open orders through an index, not every order ever written.
        new(21, "alerts: due work, when each device and gateway must be looked at again without a message (silence, pending alerts, flapping holds, dates), in due order; open work orders' deadlines indexed", d => $"""
            CREATE TABLE due_work (
                site TEXT NOT NULL, subject TEXT NOT NULL, silence_at BIGINT, timer_at BIGINT, due_at BIGINT,
                PRIMARY KEY (site, subject));
            CREATE INDEX due_work_due ON due_work (due_at) WHERE due_at IS NOT NULL;
            {d.KeepFreeForUpdates("due_work", 20)};
            INSERT INTO due_work (site, subject, silence_at, due_at) SELECT site, device, 0, 0 FROM devices;
            INSERT INTO due_work (site, subject, silence_at, due_at) SELECT site, 'gateway:' || gateway, 0, 0 FROM gateways;
            CREATE INDEX work_orders_open_deadlines ON work_orders (resolve_by) WHERE resolved_at IS NULL AND closed_at IS NULL
            """),
        new(22, "work orders: entrapment rescue steps (the crew's arrival, the passenger's release) on orders of rescue rules", d => """
            ALTER TABLE work_orders ADD COLUMN rescue INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE work_orders ADD COLUMN arrived_at BIGINT;
            ALTER TABLE work_orders ADD COLUMN released_at BIGINT
            """),
        new(23, "ingestion: a gateway's handled runs that are still filling in (a backlog spread over the consumer slots) kept as one value, its frontier, instead of a row each", d =>
            $"ALTER TABLE gateway_streams ADD COLUMN frontier {d.Blob}"),
        new(24, "read models: counter days indexed by day, so the retention job finds the old ones without reading the table", d =>
            "CREATE INDEX counter_days_day ON counter_days (day)"),
        // An older instance would still write text, which PostgreSQL refuses in the new column: stop every instance to upgrade.
        new(25, "telemetry store: the history outbox keeps its lines as UTF-8 bytes, as they are formatted and as InfluxDB reads them, instead of text converted on the way in and out (changes a column: stop every instance before upgrading)", d =>
            $"{d.TextToBlob("history_outbox", "body")};\n{d.Uncompressed("history_outbox", "body")}"),
    ];
}
