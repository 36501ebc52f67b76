using System.Globalization;

namespace Facilities.Testing;

/// <summary>
/// A real PostgreSQL (Debian's postgresql package, version 15) in a temporary cluster on 127.0.0.1 and a free port,
/// made by <c>initdb</c> and started by <c>pg_ctl</c>. PostgreSQL refuses to run as root, so as root the cluster
/// belongs to the package's <c>postgres</c> user. A missing installation fails the test with the package to install.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private int _databases;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The superuser's connection string to database <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=30;Connection Idle Lifetime=2;Connection Pruning Interval=1;Timeout=10");

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL not found under /usr/lib/postgresql: apt-get install postgresql (the storage tests need a real server)");
        }

        var directory = Directory.CreateTempSubdirectory("postgres-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["-R", "postgres:postgres", directory], cancellationToken);
        }

        var data = Path.Combine(directory, "data");
        await RunAsPostgresAsync(bin, "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], cancellationToken);
        // FACILITIES_TEST_PG_LOG=file: every statement with its duration goes to that file (it must be writable by the
        // server's user), to count a run's round trips by statement (how the ingest benchmark's were found).
        var statementLog = Environment.GetEnvironmentVariable("FACILITIES_TEST_PG_LOG") is { Length: > 0 } log ? log : null;
        var serverLog = statementLog ?? Path.Combine(directory, "server.log");

        // The port is free when chosen; another test's server may bind it first. Then the server stops at start-up
        // ("Address already in use" in its log) and another port is tried.
        for (var attempt = 1; ; attempt++)
        {
            var server = new PostgresServer(bin, directory, FreePort.Next());
            var options = string.Create(CultureInfo.InvariantCulture,
                $"-p {server.Port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000{(statementLog is null ? "" : " -c log_min_duration_statement=0")}");
            try
            {
                await RunAsPostgresAsync(bin, "pg_ctl", ["-D", data, "-o", options, "-l", serverLog, "-w", "-t", "60", "start"], cancellationToken);
                return server;
            }
            catch (InvalidOperationException) when (attempt < FreePort.Attempts && File.Exists(serverLog)
                && File.ReadAllText(serverLog).Contains(FreePort.Taken, StringComparison.Ordinal))
            {
                if (statementLog is null)
                {
                    await File.WriteAllTextAsync(serverLog, "", cancellationToken); // the next attempt's log alone
                }
            }
        }
    }

    /// <summary>Creates a fresh, empty database and returns its connection string (one per test keeps tests independent).</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}");
        await RunAsPostgresAsync("psql", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", $"CREATE DATABASE {name}"], cancellationToken);
        return ConnectionString(name);
    }

    private Task RunAsPostgresAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsPostgresAsync(_bin, tool, arguments, cancellationToken);

    private static Task RunAsPostgresAsync(string bin, string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. arguments], cancellationToken)
            : RunAsync(Path.Combine(bin, tool), arguments, cancellationToken);

    // initdb and pg_ctl's start (which waits up to 60 s itself) are slow on a loaded machine.
    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        (await ChildProcess.RunAsync(file, arguments, TimeSpan.FromMinutes(5), cancellationToken, new ChildProcessOptions { WorkingDirectory = "/tmp" })).EnsureSuccess();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsPostgresAsync("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
