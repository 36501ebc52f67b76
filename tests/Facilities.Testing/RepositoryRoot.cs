namespace Facilities.Testing;

/// <summary>The checkout the tests run from: the directory above the test binaries that holds Facilities.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Facilities.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"Facilities.sln not found above {AppContext.BaseDirectory}");
    }
}
