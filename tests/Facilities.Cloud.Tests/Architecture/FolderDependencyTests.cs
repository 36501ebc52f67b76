using System.Text.RegularExpressions;

namespace Facilities.Cloud.Tests.Architecture;

/// <summary>
/// The cloud's feature folders form a directed acyclic graph and no folder reaches into the composition root (CloudApp, Program). A cycle put back fails here
/// with the files that cause it.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string CloudSource = Path.Combine(RepositoryRoot.Path, "cloud", "Facilities.Cloud");

    [Fact]
    public void CloudFolders_HaveNoDependencyCycle()
    {
        var layout = CloudLayout.Read(CloudSource);
        var graph = layout.Dependencies();

        var cycles = CloudLayout.Cycles(graph);

        Assert.True(graph.Count >= 10, $"expected the cloud's feature folders under {CloudSource}; found {graph.Count}");
        Assert.True(cycles.Count == 0, "folder cycles (each step names a file that makes it):\n" + string.Join("\n", cycles.Select(cycle =>
            string.Join(" → ", cycle.Zip(cycle.Skip(1), (from, to) => $"{from} ({graph[from][to]})").Append(cycle[^1])))));
    }

    [Fact]
    public void CloudFolders_DoNotUseTheCompositionRoot()
    {
        var layout = CloudLayout.Read(CloudSource);
        var rootTypes = layout.Files.Where(f => f.Folder == CloudLayout.RootFolder)
            .SelectMany(f => DeclaredType().Matches(f.Text).Select(m => m.Groups["name"].Value)).ToHashSet(StringComparer.Ordinal);

        var offenders = layout.Files.Where(f => f.Folder != CloudLayout.RootFolder)
            .SelectMany(f => rootTypes.Where(t => Regex.IsMatch(CloudLayout.SourceFile.WithoutComments(f.Text), $@"\b{t}\b")).Select(t => $"{f.RelativePath} uses {t}"))
            .ToList();

        Assert.Contains("CloudApp", rootTypes);
        Assert.True(offenders.Count == 0, "folders using the composition root:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Cycles_NamesTheLoop()
    {
        var graph = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["A"] = new Dictionary<string, string> { ["B"] = "A/a.cs" },
            ["B"] = new Dictionary<string, string> { ["C"] = "B/b.cs" },
            ["C"] = new Dictionary<string, string> { ["A"] = "C/c.cs" },
            ["D"] = new Dictionary<string, string> { ["A"] = "D/d.cs" },
        };

        var cycles = CloudLayout.Cycles(graph);

        Assert.Equal(["A", "B", "C", "A"], Assert.Single(cycles));
    }

    [GeneratedRegex(@"\b(class|record|struct|interface|enum)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex DeclaredType();
}
