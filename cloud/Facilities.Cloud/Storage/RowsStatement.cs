using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Facilities.Cloud.Storage;

/// <summary>
/// One statement for many rows, so a batch's writes to a table cost one round trip instead of one per row. On
/// PostgreSQL it is <c>{head} VALUES (@p0, @p1, …), (@p8, …) {tail}</c> in chunks under the parameter limit. SQLite
/// runs in process, so round trips cost nothing there, and it binds each parameter by looking its name up among all
/// the statement's (a statement of 8,000 parameters spent longer binding than the rest of its batch took): there the
/// statement is prepared once for one row and run once per row. Plain ADO.NET, because the multi-row text changes
/// with its row count, which Dapper would cache once per count.
/// </summary>
/// <param name="Head">Up to <c>VALUES</c>, e.g. <c>INSERT INTO t (a, b)</c>.</param>
/// <param name="Tail">After the rows, e.g. an <c>ON CONFLICT</c> clause or <c>RETURNING …</c>.</param>
/// <param name="Types">One per column: how a value (and a null) is sent.</param>
public sealed record RowsStatement(string Head, string Tail, params DbType[] Types)
{
    /// <summary>PostgreSQL allows 65,535 parameters per statement; this stays well below.</summary>
    private const int MaxParameters = 16_000;

    /// <summary>Parameter names <c>@p0</c>, <c>@p1</c>, … made once.</summary>
    private static readonly string[] Names = [.. Enumerable.Range(0, MaxParameters).Select(i => string.Create(CultureInfo.InvariantCulture, $"@p{i}"))];

    /// <summary>Runs the statement over <paramref name="rows"/> (each with one value per column); returns the rows affected.</summary>
    public async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        var affected = 0;
        if (connection is SqliteConnection)
        {
            await using var command = Command(connection, transaction, rows, 0, 1);
            foreach (var row in rows)
            {
                Bind(command, row);
                affected += await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return affected;
        }

        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            await using var command = Command(connection, transaction, rows, start, Math.Min(RowsPerStatement, rows.Count - start));
            affected += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return affected;
    }

    /// <summary>Runs the statement (its tail ends with <c>RETURNING …</c>) and hands every returned row to <paramref name="read"/>.</summary>
    public async Task QueryAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows, Action<DbDataReader> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(read);
        if (connection is SqliteConnection)
        {
            await using var command = Command(connection, transaction, rows, 0, 1);
            foreach (var row in rows)
            {
                Bind(command, row);
                await ReadAllAsync(command, read, cancellationToken);
            }

            return;
        }

        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            await using var command = Command(connection, transaction, rows, start, Math.Min(RowsPerStatement, rows.Count - start));
            await ReadAllAsync(command, read, cancellationToken);
        }
    }

    private int RowsPerStatement => Math.Max(1, MaxParameters / Types.Length);

    private static async Task ReadAllAsync(DbCommand command, Action<DbDataReader> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            read(reader);
        }
    }

    /// <summary>The command for <paramref name="count"/> rows from <paramref name="start"/>, with their values bound.</summary>
    private DbCommand Command(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows, int start, int count)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var text = new StringBuilder(Head.Length + Tail.Length + (count * Types.Length * 8)).Append(Head).Append(" VALUES ");
        var index = 0;
        for (var r = 0; r < count; r++)
        {
            var row = rows.Count > 0 ? Check(rows[start + r]) : new object?[Types.Length];
            text.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < Types.Length; c++)
            {
                var name = Names[index++];
                text.Append(c == 0 ? "" : ", ").Append(name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.DbType = Types[c];
                parameter.Value = row[c] ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }

            text.Append(')');
        }

        command.CommandText = text.Append(' ').Append(Tail).ToString();
        return command;
    }

    /// <summary>Sets a one-row command's parameters to <paramref name="row"/>.</summary>
    private void Bind(DbCommand command, object?[] row)
    {
        Check(row);
        for (var c = 0; c < Types.Length; c++)
        {
            command.Parameters[c].Value = row[c] ?? DBNull.Value;
        }
    }

    private object?[] Check(object?[] row) => row.Length == Types.Length
        ? row
        : throw new ArgumentException($"a row has {row.Length} values for {Types.Length} columns: {Head}", nameof(row));
}
