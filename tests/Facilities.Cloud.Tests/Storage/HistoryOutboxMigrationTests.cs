using System.Text;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.Tests.Storage;

/// <summary>
/// Step 25 makes the history outbox's bodies UTF-8 bytes: rows an older cloud left as text (lines that InfluxDB has not
/// taken yet) come out of a claim as exactly their UTF-8, non-ASCII labels included, and new rows go in as bytes.
/// </summary>
public sealed class HistoryOutboxMigrationTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Step25_KeepsTheLinesWrittenAsText_AsTheirUtf8(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct, [.. Schema.All.Where(step => step.Version < 25)]);
        const string Old = "elevator,site=estate,device=lift-1 floor=3,door_state_label=\"已关门\" 1764547200000\n";
        await using (var connection = await database.OpenAsync(Ct))
        {
            await connection.ExecuteAsync(
                "INSERT INTO history_outbox (created_at, lines, bytes, body) VALUES (1, 1, @bytes, @body)", new { bytes = (long)Encoding.UTF8.GetByteCount(Old), body = Old });
        }

        Assert.Equal(Schema.All.Count(step => step.Version >= 25), await Migrations.ApplyAsync(database, Schema.All, Ct));

        byte[] fresh = [.. "elevator,site=estate,device=lift-2 floor=1 1764547201000\n"u8];
        await using (var connection = await database.OpenAsync(Ct))
        {
            await using var write = await CloudDatabase.BeginWriteAsync(connection, Ct);
            await HistoryOutboxStore.AppendAsync(connection, write.Transaction, fresh, 1, DateTimeOffset.UtcNow, Ct);
            await write.CommitAsync(Ct);
        }

        var rows = await new HistoryOutboxStore(database).ClaimAsync(10, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1), Ct);
        Assert.Equal([Encoding.UTF8.GetBytes(Old), fresh], rows.Select(r => r.Body));
        var backlog = await new HistoryOutboxStore(database).BacklogAsync(Ct);
        Assert.Equal(Encoding.UTF8.GetByteCount(Old) + fresh.Length, backlog.Bytes);
    }
}
