using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Storage;

/// <summary>Step numbers are reserved per area, so a lower step may arrive after a higher one was applied.</summary>
public sealed class MigrationsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("migrations-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ApplyAsync_RunsAStepNumberedBelowOneAlreadyApplied_AndNothingTwice()
    {
        await using var database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "m.db")}" });
        Migration Step(int version, string table) => new(version, table, _ => $"CREATE TABLE {table} (x INTEGER)");

        Assert.Equal(2, await Migrations.ApplyAsync(database, [Step(1, "a"), Step(10, "c")], Ct));
        Assert.Equal(1, await Migrations.ApplyAsync(database, [Step(1, "a"), Step(5, "b"), Step(10, "c")], Ct));
        Assert.Equal(0, await Migrations.ApplyAsync(database, [Step(1, "a"), Step(5, "b"), Step(10, "c")], Ct));

        await using var connection = await database.OpenAsync(Ct);
        Assert.Equal([1, 5, 10], await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM b"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
