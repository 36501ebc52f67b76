using System.Text;
using Dapper;
using Npgsql;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// The live instances (this one included) and the consumer slots other instances hold, as the database sees them now;
/// <see cref="Strangers"/> counts instances on the same database whose sessions have another prefix (another
/// <c>Mqtt:ClientId</c>): they take no part in sharing these slots, so when one of them dies its sessions strand.
/// </summary>
internal sealed record SlotView(int LiveInstances, IReadOnlySet<int> HeldElsewhere, int Strangers = 0);

/// <summary>
/// Who owns which consumer slot. The database decides, so that the slots of an instance that died pass to one that
/// lives, and no two instances consume through one slot's session.
/// </summary>
internal interface ISlotOwnership : IAsyncDisposable
{
    Task<SlotView> ViewAsync(CancellationToken cancellationToken);

    /// <summary>Takes <paramref name="slot"/> if nobody holds it.</summary>
    Task<bool> TryTakeAsync(int slot, CancellationToken cancellationToken);

    Task ReleaseAsync(int slot, CancellationToken cancellationToken);
}

/// <summary>One instance (SQLite, or the embedded broker): it owns every slot, and nothing needs locking.</summary>
internal sealed class SoleSlotOwnership : ISlotOwnership
{
    private static readonly SlotView Alone = new(1, new HashSet<int>());

    public Task<SlotView> ViewAsync(CancellationToken cancellationToken) => Task.FromResult(Alone);

    public Task<bool> TryTakeAsync(int slot, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task ReleaseAsync(int slot, CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Slot ownership by PostgreSQL session-level advisory locks on a connection of its own (outside the pool): slot k is
/// the lock (space, k + 1), and every instance holds (space, 0) shared while it lives, so counting that lock's holders
/// in <c>pg_locks</c> counts the live instances. Every instance also holds one lock shared by all prefixes
/// (<see cref="Everyone"/>), so an instance configured with another prefix shows up as a stranger. Session locks end
/// with the session: when an instance is killed its socket closes and PostgreSQL releases its locks at once; when its
/// machine vanishes, the server's TCP keepalives (set short on this connection) end the session within about half a
/// minute. No table, nothing to expire or clean up.
/// </summary>
internal sealed class PostgresSlotLocks : ISlotOwnership
{
    /// <summary>The lock space every instance announces itself in, whatever its prefix.</summary>
    private static readonly int Everyone = Space("facilities-cloud instances");

    private readonly NpgsqlConnection _connection;
    private readonly int _space;

    private PostgresSlotLocks(NpgsqlConnection connection, int space)
    {
        _connection = connection;
        _space = space;
    }

    /// <summary>Connects and announces this instance (the shared presence lock) for the sessions named <paramref name="sessionPrefix"/>.</summary>
    public static async Task<PostgresSlotLocks> OpenAsync(string connectionString, string sessionPrefix, CancellationToken cancellationToken)
    {
        // Outside the pool: a pooled connection would be reset (DISCARD ALL drops advisory locks) or shared.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 10, ApplicationName = "facilities-cloud slots" };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var locks = new PostgresSlotLocks(connection, Space(sessionPrefix));
            await connection.ExecuteAsync(new CommandDefinition(
                """
                SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3;
                SELECT pg_advisory_lock_shared(@space, 0); SELECT pg_advisory_lock_shared(@everyone, 0)
                """,
                new { space = locks._space, everyone = Everyone }, cancellationToken: cancellationToken));
            return locks;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<SlotView> ViewAsync(CancellationToken cancellationToken)
    {
        var rows = await _connection.QueryAsync<(long Space, long Key, bool Mine)>(new CommandDefinition(
            """
            SELECT classid::bigint, objid::bigint, pid = pg_backend_pid() FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid IN (@space::oid, @everyone::oid)
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """,
            new { space = _space, everyone = Everyone }, cancellationToken: cancellationToken));
        var live = 0;
        var everyone = 0;
        var elsewhere = new HashSet<int>();
        foreach (var (space, key, mine) in rows)
        {
            if (space == Everyone)
            {
                everyone += key == 0 ? 1 : 0;
            }
            else if (key == 0)
            {
                live++;
            }
            else if (!mine)
            {
                elsewhere.Add((int)key - 1);
            }
        }

        return new SlotView(live, elsewhere, Math.Max(0, everyone - live));
    }

    public Task<bool> TryTakeAsync(int slot, CancellationToken cancellationToken) =>
        _connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@space, @key)", new { space = _space, key = slot + 1 }, cancellationToken: cancellationToken));

    public Task ReleaseAsync(int slot, CancellationToken cancellationToken) =>
        _connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@space, @key)", new { space = _space, key = slot + 1 }, cancellationToken: cancellationToken));

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>
    /// The lock space of one set of sessions: a stable hash of their client-id prefix (FNV-1a; string.GetHashCode differs
    /// between processes), positive so that it reads the same in <c>pg_locks.classid</c>.
    /// </summary>
    internal static int Space(string sessionPrefix)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(sessionPrefix))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}
