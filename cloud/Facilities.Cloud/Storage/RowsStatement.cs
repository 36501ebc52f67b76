using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Facilities.Cloud.Storage;

/// <summary>
/// One statement for many rows, so a batch's writes to a table cost one round trip instead of one per row. On
/// PostgreSQL the rows go as one array per column: <c>{head} SELECT * FROM unnest(@p0::text[], …) {tail}</c> — a
/// short statement of the same text whatever the row count, where <c>VALUES</c> with a parameter per value made
/// client and server parse and bind thousands of parameters. SQLite runs in process, so round trips cost nothing
/// there, and it binds each parameter by looking its name up among all the statement's (a statement of 8,000
/// parameters spent longer binding than the rest of its batch took): there the statement is
/// <c>{head} VALUES (@p0, …) {tail}</c>, prepared once and run once per row.
/// </summary>
/// <param name="Head">Up to <c>VALUES</c>, e.g. <c>INSERT INTO t (a, b)</c>.</param>
/// <param name="Tail">After the rows, e.g. an <c>ON CONFLICT</c> clause or <c>RETURNING …</c>.</param>
/// <param name="Types">One per column: how a value (and a null) is sent.</param>
public sealed record RowsStatement(string Head, string Tail, params DbType[] Types)
{
    /// <summary>The PostgreSQL statement: the same text for any number of rows.</summary>
    private string ArraysText => field ??= $"{Head} SELECT * FROM unnest({string.Join(", ", Types.Select((t, i) => $"{Name(i)}::{ArrayType(t)}"))}) {Tail}";

    private static string Name(int index) => string.Create(CultureInfo.InvariantCulture, $"@p{index}");

    private static string ArrayType(DbType type) => type switch
    {
        DbType.String => "text[]",
        DbType.Int64 => "bigint[]",
        DbType.Double => "double precision[]",
        _ => throw new NotSupportedException($"column type {type} has no PostgreSQL array here"),
    };

    /// <summary>Runs the statement over <paramref name="rows"/> (each with one value per column); returns the rows affected.</summary>
    public async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        var affected = 0;
        if (connection is SqliteConnection)
        {
            await using var command = OneRow(connection, transaction);
            foreach (var row in rows)
            {
                Bind(command, row);
                affected += await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return affected;
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        await using var arrays = Arrays(connection, transaction, rows);
        return await arrays.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs the statement (its tail ends with <c>RETURNING …</c>) and hands every returned row to <paramref name="read"/>.</summary>
    public async Task QueryAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows, Action<DbDataReader> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(read);
        if (connection is SqliteConnection)
        {
            await using var command = OneRow(connection, transaction);
            foreach (var row in rows)
            {
                Bind(command, row);
                await ReadAllAsync(command, read, cancellationToken);
            }

            return;
        }

        if (rows.Count > 0)
        {
            await using var arrays = Arrays(connection, transaction, rows);
            await ReadAllAsync(arrays, read, cancellationToken);
        }
    }

    private static async Task ReadAllAsync(DbCommand command, Action<DbDataReader> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            read(reader);
        }
    }

    /// <summary>The one-row command (SQLite), its parameters typed and not yet set.</summary>
    private DbCommand OneRow(DbConnection connection, DbTransaction? transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"{Head} VALUES ({string.Join(", ", Types.Select((_, i) => Name(i)))}) {Tail}";
        for (var c = 0; c < Types.Length; c++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = Name(c);
            parameter.DbType = Types[c];
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>The PostgreSQL command: one array parameter per column.</summary>
    private DbCommand Arrays(DbConnection connection, DbTransaction? transaction, IReadOnlyList<object?[]> rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = ArraysText;
        for (var c = 0; c < Types.Length; c++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = Name(c);
            parameter.Value = Column(rows, c);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private Array Column(IReadOnlyList<object?[]> rows, int column)
    {
        switch (Types[column])
        {
            case DbType.String:
                var texts = new string?[rows.Count];
                for (var r = 0; r < texts.Length; r++)
                {
                    texts[r] = (string?)Check(rows[r])[column];
                }

                return texts;
            case DbType.Int64:
                var numbers = new long?[rows.Count];
                for (var r = 0; r < numbers.Length; r++)
                {
                    numbers[r] = (long?)Check(rows[r])[column];
                }

                return numbers;
            default:
                var reals = new double?[rows.Count];
                for (var r = 0; r < reals.Length; r++)
                {
                    reals[r] = (double?)Check(rows[r])[column];
                }

                return reals;
        }
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
