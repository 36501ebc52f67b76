using Facilities.Cloud.Rules;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary><c>facilities-cloud rules …</c> run in-process as a site engineer runs it, for the rules command's tests.</summary>
internal static class RulesCommandRun
{
    /// <summary>Runs the command with <paramref name="args"/>; returns its exit code and what it wrote to standard output and error.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await RulesCommand.RunAsync(args, TextReader.Null, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Writes a rule (or rule test) file into <paramref name="directory"/>; returns its path.</summary>
    public static string Write(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The command's output as trimmed, non-empty lines.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
