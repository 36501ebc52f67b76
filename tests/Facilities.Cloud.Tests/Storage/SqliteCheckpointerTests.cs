using Dapper;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Storage;

/// <summary>No commit copies SQLite's log into the database file; the checkpointer does, in the background.</summary>
public sealed class SqliteCheckpointerTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("checkpoint-").FullName;

    private CloudDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string File => Path.Combine(_directory, "c.db");

    public ValueTask InitializeAsync()
    {
        _database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={File}" });
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Commits_LeaveTheLogAlone_AndTheCheckpointerCopiesItIntoTheDatabaseFile()
    {
        await using (var connection = await _database.OpenAsync(Ct))
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("PRAGMA wal_autocheckpoint"));
            await connection.ExecuteAsync("CREATE TABLE t (x BLOB)");
            var fileBefore = new FileInfo(File).Length;
            for (var i = 0; i < 20; i++)
            {
                // 20 × 256 KiB: past SQLite's default of a checkpoint per 1,000 pages (4 MB).
                await connection.ExecuteAsync("INSERT INTO t VALUES (randomblob(262144))");
            }

            Assert.Equal(fileBefore, new FileInfo(File).Length); // all of it still in the log
        }

        using var checkpointer = new SqliteCheckpointer(_database, NullLogger<SqliteCheckpointer>.Instance);
        await checkpointer.StartAsync(Ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (new FileInfo(File).Length < 20 * 262144 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        await checkpointer.StopAsync(Ct);
        Assert.True(new FileInfo(File).Length >= 20 * 262144, $"the database file holds {new FileInfo(File).Length} bytes after the checkpointer ran");
        Assert.Equal(0, await checkpointer.CheckpointAsync(Ct)); // nothing left that a reader holds
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
