using Facilities.Cloud.Storage;

[assembly: AssemblyFixture(typeof(Facilities.Cloud.Tests.PostgresFixture))]

namespace Facilities.Cloud.Tests;

/// <summary>One PostgreSQL server for the whole test assembly; each test gets a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL did not start");

    public async ValueTask InitializeAsync() => _server = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>A fresh, migrated database of either kind, for tests that run the same checks on both.</summary>
public static class Databases
{
    public static TheoryData<string> Providers => new("sqlite", "postgres");

    /// <summary>A new database with the schema steps <paramref name="steps"/> applied (every step when null: migration tests stop short of theirs).</summary>
    public static async Task<(CloudDatabase Database, StorageOptions Options)> CreateAsync(
        string provider, PostgresFixture postgres, CancellationToken cancellationToken, IReadOnlyList<Migration>? steps = null)
    {
        var options = provider == "postgres"
            ? new StorageOptions { Provider = "postgres", ConnectionString = await postgres.Server.CreateDatabaseAsync(cancellationToken) }
            : new StorageOptions { Provider = "sqlite", ConnectionString = $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("cloud-sqlite-").FullName, "cloud.db")}" };
        var database = CloudDatabase.Create(options);
        await Migrations.ApplyAsync(database, steps ?? Schema.All, cancellationToken);
        return (database, options);
    }
}
