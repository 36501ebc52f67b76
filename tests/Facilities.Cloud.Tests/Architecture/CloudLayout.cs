using System.Text.RegularExpressions;

namespace Facilities.Cloud.Tests.Architecture;

/// <summary>
/// The cloud's source read as folders: which feature folder uses which (through <c>using Facilities.Cloud.X</c> or a
/// name qualified with it), which files hold SQL, and which files of the composition root a folder reaches into.
/// </summary>
internal sealed partial class CloudLayout
{
    public const string RootFolder = "(root)";

    private CloudLayout(string directory, IReadOnlyList<SourceFile> files)
    {
        Directory = directory;
        Files = files;
    }

    public string Directory { get; }

    public IReadOnlyList<SourceFile> Files { get; }

    public static CloudLayout Read(string directory)
    {
        var files = System.IO.Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(directory, path))
            .Select(path => SourceFile.Read(directory, path))
            .OrderBy(file => file.RelativePath, StringComparer.Ordinal)
            .ToList();
        return new CloudLayout(directory, files);
    }

    /// <summary>Folder → the folders it uses, with one file that shows each use.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Dependencies()
    {
        var folders = Files.Select(f => f.Folder).Where(f => f != RootFolder).ToHashSet(StringComparer.Ordinal);
        var graph = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var file in Files.Where(f => f.Folder != RootFolder))
        {
            var uses = graph.TryGetValue(file.Folder, out var found) ? found : graph[file.Folder] = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var used in file.UsedFolders.Where(folders.Contains).Where(u => u != file.Folder))
            {
                uses.TryAdd(used, file.RelativePath);
            }
        }

        return graph.ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string>)g.Value, StringComparer.Ordinal);
    }

    /// <summary>Every cycle between folders, each as the path that closes it (A → B → A); empty when the folders form a DAG.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> graph)
    {
        var cycles = new List<IReadOnlyList<string>>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            Visit(start);
        }

        return cycles;

        void Visit(string folder)
        {
            if (state.GetValueOrDefault(folder) == 2)
            {
                return;
            }

            if (state.GetValueOrDefault(folder) == 1)
            {
                cycles.Add([.. path.Skip(path.IndexOf(folder)), folder]);
                return;
            }

            state[folder] = 1;
            path.Add(folder);
            foreach (var next in graph.GetValueOrDefault(folder)?.Keys.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
            {
                Visit(next);
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
        }
    }

    private static bool IsBuildOutput(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
        return relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal);
    }

    internal sealed partial record SourceFile(string RelativePath, string Folder, string Text, IReadOnlyList<string> UsedFolders)
    {
        public static SourceFile Read(string root, string path)
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var slash = relative.IndexOf('/', StringComparison.Ordinal);
            var folder = slash < 0 ? RootFolder : relative[..slash];
            var text = File.ReadAllText(path);
            var code = WithoutComments(text);
            var used = NamespaceUse().Matches(code).Select(m => m.Groups["folder"].Value).Distinct(StringComparer.Ordinal).ToList();
            return new SourceFile(relative, folder, text, used);
        }

        /// <summary>The text without comments: a cref in a doc comment is not a dependency.</summary>
        public static string WithoutComments(string text) => Comment().Replace(text, string.Empty);

        /// <summary><c>using Facilities.Cloud.Alerts;</c>, <c>Facilities.Cloud.Alerts.AlertStore</c>, <c>global::Facilities.Cloud.Alerts</c>.</summary>
        [GeneratedRegex(@"\bFacilities\.Cloud\.(?<folder>[A-Z][A-Za-z]+)\b")]
        private static partial Regex NamespaceUse();

        [GeneratedRegex(@"//[^\n]*")]
        private static partial Regex Comment();
    }
}
