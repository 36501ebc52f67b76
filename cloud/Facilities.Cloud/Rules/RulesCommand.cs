using Facilities.Cloud.Configuration;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Rules;

/// <summary>
/// <c>facilities-cloud rules check FILE…</c>: checks rule files before they are deployed, with the same checks the
/// cloud makes at start-up (so a file that passes is one the cloud loads) plus warnings about rules that load but
/// are probably not what was meant. <c>facilities-cloud rules test FILE…</c>: runs rule-test files (input series per
/// device and point, expected alerts at given times) through the rules and the alert lifecycle in virtual time.
/// Neither needs configuration, a database or a broker.
/// </summary>
internal static class RulesCommand
{
    private const string Usage = """
        usage: facilities-cloud rules check [--override] [--strict] FILE...
          Checks rule files as the cloud loads them: a default rule set (a JSON array of rules) or a site override
          (Rules:SiteDirectory/{site}.json, where { "id": "...", "enabled": false } switches a default rule off).
          A file with such an entry is checked as a site override by itself.
          --override  check every FILE as a site override
          --strict    warnings fail the check too
        Exit status: 0 every file is fine, 1 a file has a problem, 2 usage error.
        usage: facilities-cloud rules test FILE...
          Runs rule-test files (docs/alerting-rules.md, "Testing rules"): each names the rule files under test, feeds
          devices' points at given times and expects alerts (firing, pending, resolved, none) at given times, in
          virtual time (no waiting), through the same rules, sweeps and alert lifecycle as the cloud.
        Exit status: 0 every expectation holds, 1 one does not or a file is refused, 2 usage error.
        """;

    /// <summary>Runs the command; 0 when every file is fine, 1 when any has a problem, 2 on a usage error.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--help" or "-h", ..] or ["check" or "test", "--help" or "-h"])
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }

        if (args is ["test", .. var tests])
        {
            return await RunFilesAsync("test", tests, [], "name at least one rule-test file", error, (file, _) => TestFileAsync(file, output, cancellationToken), cancellationToken);
        }

        if (args is not ["check", .. var rest])
        {
            await error.WriteLineAsync(args.Length == 0 ? Usage : $"facilities-cloud rules: unknown command '{args[0]}'\n{Usage}");
            return 2;
        }

        return await RunFilesAsync("check", rest, ["--override", "--strict"], "name at least one rule file", error,
            (file, flags) => CheckAsync(file, flags.Contains("--override"), flags.Contains("--strict"), output, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Runs sub-command <paramref name="command"/> on each file of <paramref name="args"/> (<c>[FLAG…] [--] FILE…</c>,
    /// flags from <paramref name="known"/>): 2 with the usage for an unknown option or no file, else 1 when any file
    /// failed and 0 when every one passed.
    /// </summary>
    private static async Task<int> RunFilesAsync(
        string command, string[] args, IReadOnlyList<string> known, string noFiles, TextWriter error, Func<string, IReadOnlySet<string>, Task<bool>> runFile,
        CancellationToken cancellationToken)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        var optionsEnded = false;
        foreach (var arg in args)
        {
            switch (arg)
            {
                case "--" when !optionsEnded:
                    optionsEnded = true;
                    break;
                case ['-', _, ..] when !optionsEnded && known.Contains(arg):
                    flags.Add(arg);
                    break;
                case ['-', _, ..] when !optionsEnded:
                    await error.WriteLineAsync($"facilities-cloud rules {command}: unknown option '{arg}'\n{Usage}");
                    return 2;
                default:
                    files.Add(arg);
                    break;
            }
        }

        if (files.Count == 0)
        {
            await error.WriteLineAsync($"facilities-cloud rules {command}: {noFiles}\n{Usage}");
            return 2;
        }

        var failed = false;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            failed |= !await runFile(file, flags);
        }

        return failed ? 1 : 0;
    }

    /// <summary>Checks one file and prints its verdict; true when it passes.</summary>
    private static async Task<bool> CheckAsync(string file, bool forceOverride, bool strict, TextWriter output, CancellationToken cancellationToken)
    {
        RuleFileContent content;
        try
        {
            content = RuleFiles.ReadDocument(file);
        }
        catch (ConfigurationFileException unreadable)
        {
            await WriteAllAsync(output, file, unreadable.Problems, "", cancellationToken);
            return false;
        }

        // A disable entry (or a device entry) is only legal in a site override, so its presence says which kind of file this is.
        var rules = content.Rules;
        var overrides = forceOverride || rules.Any(RuleChecks.IsDisableEntry) || content.Site is { Devices.Count: > 0 };

        // A site file names parameters the default set declares: the shipped one's, when it is installed next to this command.
        var problems = RuleFiles.Problems(content, overrides, overrides ? RuleFiles.ShippedParameters() : null);
        var warnings = RuleLint.Warnings(rules, overrides);
        await WriteAllAsync(output, file, problems, "", cancellationToken);
        await WriteAllAsync(output, file, warnings, "warning: ", cancellationToken);
        var passed = problems.Count == 0 && (!strict || warnings.Count == 0);
        if (passed)
        {
            var kind = overrides ? ", site override" : "";
            var doubts = warnings.Count switch { 0 => "", 1 => ", 1 warning", var n => $", {n} warnings" };
            await output.WriteLineAsync($"{file}: ok ({Count(rules.Count, "rule")}{kind}{doubts})".AsMemory(), cancellationToken);
        }

        return passed;
    }

    /// <summary>Runs one rule-test file and prints its verdict; true when every expectation holds.</summary>
    private static async Task<bool> TestFileAsync(string file, TextWriter output, CancellationToken cancellationToken)
    {
        RuleTestSuite suite;
        try
        {
            suite = RuleTestLoader.Load(file);
        }
        catch (ConfigurationFileException refused)
        {
            await WriteAllAsync(output, file, refused.Problems, "", cancellationToken);
            return false;
        }

        var failures = RuleTestRunner.Run(suite);
        foreach (var failure in failures)
        {
            await output.WriteLineAsync($"""
                {file}: FAILED test "{failure.Test}" at {RuleTestLoader.Format(failure.At)}: {failure.Rule} on {failure.Device}
                    expected: {failure.Expected}
                         got: {failure.Got}
                """.AsMemory(), cancellationToken);
        }

        var expectations = suite.Tests.Sum(t => t.Expectations.Count);
        await output.WriteLineAsync(failures.Count == 0
            ? $"{file}: ok ({Count(suite.Tests.Count, "test")}, {Count(expectations, "expectation")})".AsMemory()
            : $"{file}: FAILED ({failures.Count} of {Count(expectations, "expectation")} in {Count(failures.Select(f => f.Test).Distinct().Count(), "test")})".AsMemory(), cancellationToken);
        return failures.Count == 0;
    }

    private static async Task WriteAllAsync(TextWriter output, string file, IEnumerable<string> lines, string prefix, CancellationToken cancellationToken)
    {
        foreach (var line in lines)
        {
            // A problem names its place in the file ("$[3] (boiler.nox-high): …"); the warning prefix goes after it.
            var separator = line.IndexOf(": ", StringComparison.Ordinal);
            var text = separator < 0 || prefix.Length == 0 ? prefix + line : $"{line[..separator]}: {prefix}{line[(separator + 2)..]}";
            await output.WriteLineAsync($"{file}: {text}".AsMemory(), cancellationToken);
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
