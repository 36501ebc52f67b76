using System.Text;

namespace Facilities.Benchmarks.Shared;

/// <summary>One line of a verdict table; <see cref="Passed"/> is null for a figure shown for context only.</summary>
internal sealed record Verdict(string Number, string Comparison, string Ours, string Reference, string Ratio, string Target, bool? Passed)
{
    /// <summary>The table every benchmark report opens its targets with.</summary>
    public static void AppendTable(StringBuilder text, IEnumerable<Verdict> verdicts)
    {
        text.AppendLine("| # | comparison | ours | reference | ratio | target | result |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | --- | --- |");
        foreach (var v in verdicts)
        {
            var result = v.Passed switch { true => "pass", false => "**FAIL**", null => "(context)" };
            text.AppendLine($"| {v.Number} | {v.Comparison} | {v.Ours} | {v.Reference} | {v.Ratio} | {v.Target} | {result} |");
        }
    }
}
