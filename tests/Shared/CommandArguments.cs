using System.Globalization;

namespace Facilities.Benchmarks.Shared;

/// <summary>A command name followed by <c>--option value</c> pairs.</summary>
internal sealed record CommandArguments(string Name, IReadOnlyDictionary<string, string> Options)
{
    public static CommandArguments Parse(string[] args)
    {
        if (args.Length == 0)
        {
            return new CommandArguments("", new Dictionary<string, string>());
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
            {
                throw new ArgumentException($"expected '--option value' pairs after the command, got '{args[i]}'");
            }

            options[args[i][2..]] = args[++i];
        }

        return new CommandArguments(args[0], options);
    }

    public string Get(string option) =>
        Options.TryGetValue(option, out var value) ? value : throw new ArgumentException($"{Name}: --{option} is required");

    public string Get(string option, string fallback) => Options.TryGetValue(option, out var value) ? value : fallback;

    public double GetDouble(string option, double fallback) =>
        Options.TryGetValue(option, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
