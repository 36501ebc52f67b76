namespace Facilities.Cloud.Outbox;

/// <summary>
/// Where one kind of outbox keeps its rows. Every outbox table has the columns <c>state</c> (<c>queued</c>,
/// <c>sending</c>, the delivered state, <c>failed</c>), <c>attempts</c>, <c>next_attempt_at</c> (Unix ms: when the row
/// is due, or when its lease runs out), <c>last_error</c> and the delivered-at column; what else a row holds is the
/// kind's business (<see cref="Payload"/>). Names here are fixed by code, never by input: they are written into SQL.
/// </summary>
/// <param name="Name">The table, e.g. <c>notifications</c>.</param>
/// <param name="Key">The key column, e.g. <c>id</c>.</param>
/// <param name="Payload">The select list a claim returns besides key and attempt, e.g. <c>channel AS Channel, body AS Body</c>.</param>
/// <param name="DeliveredState">The state a delivered row ends in, e.g. <c>sent</c>.</param>
/// <param name="DeliveredAt">The column that gets the delivery time, e.g. <c>sent_at</c>.</param>
/// <param name="UpdatedAt">A column that gets the time of every change, if the table has one.</param>
/// <param name="Attempts">A table that gets a row per attempt, if the kind keeps that history.</param>
internal sealed record OutboxTable(
    string Name, string Key, string Payload, string DeliveredState, string DeliveredAt, string? UpdatedAt = null, OutboxAttemptTable? Attempts = null)
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Failed = "failed";
}

/// <summary>
/// A history of attempts: one row per attempt with the columns <c>attempt</c>, <c>at</c>, <c>delivered</c> (1/0),
/// <c>detail</c> and <c>duration_ms</c>, and <paramref name="Key"/> naming the outbox row.
/// </summary>
internal sealed record OutboxAttemptTable(string Name, string Key);
