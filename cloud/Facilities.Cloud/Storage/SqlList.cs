using System.Globalization;
using System.Text;
using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>
/// Values for <c>IN (…)</c> on both databases. Dapper expands a list parameter for SQLite but hands it to Npgsql as one
/// array, which only <c>= ANY(…)</c> accepts; spelling the list out works on both.
/// </summary>
internal static class SqlList
{
    /// <summary>
    /// Adds the values as <c>@{prefix}0</c>, <c>@{prefix}1</c>, … and returns <c>(@{prefix}0, @{prefix}1, …)</c>. The
    /// list is padded to a power of two by repeating its last value (no change to what <c>IN</c> matches), so a
    /// statement has a handful of texts instead of one per list length: Dapper builds and keeps a row reader per text.
    /// </summary>
    public static string Add(DynamicParameters parameters, string prefix, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("an IN list needs at least one value", nameof(values));
        }

        var text = new StringBuilder("(");
        var length = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)values.Count);
        for (var i = 0; i < length; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}{i}");
            text.Append(i == 0 ? "@" : ", @").Append(name);
            parameters.Add(name, values[Math.Min(i, values.Count - 1)]);
        }

        return text.Append(')').ToString();
    }
}
