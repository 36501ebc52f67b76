namespace Facilities.Cloud.Configuration;

/// <summary>A configuration file the cloud refuses to start with; the message names the file, the JSON path and the problem.</summary>
internal sealed class ConfigurationFileException : Exception
{
    public ConfigurationFileException(string path, string jsonPath, string problem)
        : this(path, [$"{jsonPath}: {problem}"])
    {
    }

    public ConfigurationFileException(string path, IReadOnlyList<string> problems)
        : base($"{path}:\n  " + string.Join("\n  ", problems ?? []))
    {
        Path = path;
        Problems = problems ?? [];
    }

    public ConfigurationFileException()
    {
        Path = "";
        Problems = [];
    }

    public ConfigurationFileException(string message)
        : base(message)
    {
        Path = "";
        Problems = [message];
    }

    public ConfigurationFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = "";
        Problems = [message];
    }

    public string Path { get; }

    public IReadOnlyList<string> Problems { get; }
}
