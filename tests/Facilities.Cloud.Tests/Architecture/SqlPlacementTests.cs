using System.Text.RegularExpressions;

namespace Facilities.Cloud.Tests.Architecture;

/// <summary>
/// Only stores (a file named <c>*Store.cs</c> in its feature folder) and the database's own plumbing (<c>Storage/</c>)
/// hold SQL; endpoints, engines and schedulers call a store. An SQL string put back elsewhere fails here, naming the file.
/// </summary>
public sealed partial class SqlPlacementTests
{
    private static readonly string CloudSource = Path.Combine(RepositoryRoot.Path, "cloud", "Facilities.Cloud");

    /// <summary>
    /// Files outside a store allowed to run their own statements: none since issue 14 moved the last ones into their
    /// folder's store. The list may only shrink: a file on it without SQL fails too.
    /// </summary>
    private static readonly string[] NotYetMoved =
    [
    ];

    [Fact]
    public void Sql_LivesOnlyInStoresAndStorage()
    {
        var layout = CloudLayout.Read(CloudSource);

        var holders = layout.Files.Where(f => Sql().IsMatch(CloudLayout.SourceFile.WithoutComments(f.Text))).Select(f => f.RelativePath).ToList();
        var outside = holders.Where(f => !IsStore(f) && !NotYetMoved.Contains(f, StringComparer.Ordinal)).ToList();
        var moved = NotYetMoved.Where(f => !holders.Contains(f, StringComparer.Ordinal)).ToList();

        Assert.Contains("Storage/Schema.cs", holders);
        Assert.True(outside.Count == 0, "SQL outside a store (a file named *Store.cs in its feature folder, or Storage/):\n" + string.Join("\n", outside));
        Assert.True(moved.Count == 0, "no SQL left in these files: take them off NotYetMoved:\n" + string.Join("\n", moved));
    }

    [Theory]
    [InlineData("Alerts/AlertStore.cs", true)]
    [InlineData("Alerts/AlertStore.Audit.cs", true)]
    [InlineData("Storage/Schema.cs", true)]
    [InlineData("Alerts/AlertEndpoints.cs", false)]
    [InlineData("Alerts/AlertStoreage.cs", false)]
    public void IsStore_KnowsStoresFromOtherFiles(string path, bool expected) => Assert.Equal(expected, IsStore(path));

    [Theory]
    [InlineData("\"SELECT id FROM alerts\"", true)]
    [InlineData("\"\"\"\n  UPDATE alerts SET state = 'resolved'\n\"\"\"", true)]
    [InlineData("\"INSERT INTO audit (a) VALUES (1)\"", true)]
    [InlineData("\"DELETE FROM sessions WHERE\"", true)]
    [InlineData("\"select a device\"", false)]
    [InlineData("\"Update the firmware\"", false)]
    public void Sql_IsRecognisedInStringLiterals(string code, bool expected) => Assert.Equal(expected, Sql().IsMatch(code));

    private static bool IsStore(string relativePath) =>
        relativePath.StartsWith("Storage/", StringComparison.Ordinal) || StoreFile().IsMatch(relativePath);

    [GeneratedRegex(@"^[A-Za-z]+/[A-Za-z]+Store(\.[A-Za-z]+)?\.cs$")]
    private static partial Regex StoreFile();

    /// <summary>A statement keyword in capitals inside a string literal: how every query in the cloud is written.</summary>
    [GeneratedRegex(@"""[^""]*\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX))")]
    private static partial Regex Sql();

}
