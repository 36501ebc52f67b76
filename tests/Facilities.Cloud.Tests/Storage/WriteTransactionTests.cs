using System.Collections.Concurrent;
using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Storage;

/// <summary>
/// The writers of one process take turns on a SQLite file in the order they asked, and each begins the moment the
/// writer before it is done, instead of sleeping in SQLite's busy wait (Storage/WriteTransaction.cs).
/// </summary>
public sealed class WriteTransactionTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("write-turn-").FullName;

    private CloudDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _database = Open("w.db");
        await using var connection = await _database.OpenAsync(Ct);
        await connection.ExecuteAsync("CREATE TABLE writes (writer TEXT NOT NULL)");
    }

    [Fact]
    public async Task Writers_WaitingForTheTurn_BeginInTheOrderTheyAsked_OnceTheWriterBeforeThemCommits()
    {
        await using var first = await _database.OpenAsync(Ct);
        var holder = await CloudDatabase.BeginWriteAsync(first, Ct);
        var order = new ConcurrentQueue<string>();
        var writers = new List<Task>();
        foreach (var name in new[] { "b", "c", "d" })
        {
            writers.Add(WriteAsync(name, order));
            await Task.Delay(100, Ct); // each asks after the one before it
        }

        await Task.Delay(300, Ct);
        Assert.Empty(order); // nobody writes while the first holds the turn
        Assert.All(writers, w => Assert.False(w.IsCompleted));

        await first.ExecuteAsync("INSERT INTO writes VALUES ('a')", transaction: holder.Transaction);
        await holder.CommitAsync(Ct);
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await holder.DisposeAsync();

        Assert.Equal(["b", "c", "d"], order);
        await using var connection = await _database.OpenAsync(Ct);
        Assert.Equal(["a", "b", "c", "d"], await connection.QueryAsync<string>("SELECT writer FROM writes ORDER BY rowid"));
    }

    [Fact]
    public async Task TheTurn_IsGivenBack_WhenATransactionEndsWithoutCommit()
    {
        await using (var connection = await _database.OpenAsync(Ct))
        {
            await using var abandoned = await CloudDatabase.BeginWriteAsync(connection, Ct);
            await connection.ExecuteAsync("INSERT INTO writes VALUES ('rolled back')", transaction: abandoned.Transaction);
        }

        var order = new ConcurrentQueue<string>();
        await WriteAsync("next", order).WaitAsync(TimeSpan.FromSeconds(2), Ct);

        await using var check = await _database.OpenAsync(Ct);
        Assert.Equal(["next"], await check.QueryAsync<string>("SELECT writer FROM writes"));
    }

    [Fact]
    public async Task AnotherDatabaseFile_HasATurnOfItsOwn()
    {
        await using var other = Open("other.db");
        await using var first = await _database.OpenAsync(Ct);
        await using var holder = await CloudDatabase.BeginWriteAsync(first, Ct);

        await using var connection = await other.OpenAsync(Ct);
        var begin = CloudDatabase.BeginWriteAsync(connection, Ct).AsTask();
        await using var write = await begin.WaitAsync(TimeSpan.FromSeconds(2), Ct);
        await connection.ExecuteAsync("CREATE TABLE t (x INTEGER)", transaction: write.Transaction);
        await write.CommitAsync(Ct);
    }

    private async Task WriteAsync(string name, ConcurrentQueue<string> order)
    {
        await using var connection = await _database.OpenAsync(Ct);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, Ct);
        order.Enqueue(name);
        await connection.ExecuteAsync("INSERT INTO writes VALUES (@name)", new { name }, write.Transaction);
        await write.CommitAsync(Ct);
    }

    private CloudDatabase Open(string file) =>
        CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(_directory, file)}" });

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
