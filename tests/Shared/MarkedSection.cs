namespace Facilities.Benchmarks.Shared;

/// <summary>
/// docs/benchmarks.md is shared: each benchmark owns the text between <c>&lt;!-- NAME:start --&gt;</c> and
/// <c>&lt;!-- NAME:end --&gt;</c> and rewrites only that, so one benchmark's run leaves the others' figures alone.
/// Pure: the caller reads and writes the file.
/// </summary>
internal static class MarkedSection
{
    /// <summary>What a new file starts with, before the first section is added.</summary>
    public const string NewDocument = """
        # Benchmarks

        Each benchmark below writes only its own section of this file (between its HTML comment markers) and says
        which command reproduces it. Sections come from different runs; each records its machine and load.

        """;

    public static string Start(string name) => $"<!-- {name}:start -->";

    public static string End(string name) => $"<!-- {name}:end -->";

    /// <summary>
    /// <paramref name="document"/> with the section <paramref name="name"/> replaced by <paramref name="body"/>, or
    /// with the section appended if the document does not have it yet.
    /// </summary>
    public static string Replace(string document, string name, string body)
    {
        var section = $"{Start(name)}\n{body.TrimEnd('\n')}\n{End(name)}";
        var start = document.IndexOf(Start(name), StringComparison.Ordinal);
        var end = document.IndexOf(End(name), StringComparison.Ordinal);
        if (start >= 0 && end > start)
        {
            return string.Concat(document.AsSpan(0, start), section, document.AsSpan(end + End(name).Length));
        }

        if (start >= 0 || end >= 0)
        {
            throw new InvalidDataException($"the section '{name}' has only one of its markers; fix the file by hand");
        }

        var head = document.Length == 0 ? NewDocument : document.TrimEnd('\n') + "\n";
        return $"{head}\n{section}\n";
    }

    /// <summary>Reads <paramref name="path"/> (missing is empty), replaces the section and writes it back.</summary>
    public static async Task WriteAsync(string path, string name, string body, CancellationToken cancellationToken)
    {
        var document = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : "";
        await File.WriteAllTextAsync(path, Replace(document, name, body), cancellationToken);
    }
}
