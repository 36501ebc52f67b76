namespace Facilities.Cloud.Domain.Rules;

/// <summary>
/// Doubts about rules the cloud still accepts, printed as warnings by <c>facilities-cloud rules check</c>. What the
/// cloud must refuse belongs in <see cref="RuleChecks"/> instead, so that start-up and the command agree.
/// </summary>
public static class RuleLint
{
    /// <summary>Every warning for <paramref name="rules"/>, each as <c>$[i] (id): warning</c>.</summary>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<RuleDefinition> rules, bool overrides)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var warnings = new List<string>();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (overrides && !rule.Enabled)
            {
                continue; // switched off at this site: nothing of it runs.
            }

            warnings.AddRange(Warnings(rule).Select(warning => $"{RuleChecks.Position(i, rule)}: {warning}"));
        }

        return warnings;
    }

    private static IEnumerable<string> Warnings(RuleDefinition rule)
    {
        foreach (var (field, conditions) in new[] { ("when", rule.When), ("suppressWhen", rule.SuppressWhen) })
        {
            for (var j = 0; j < (conditions?.Count ?? 0); j++)
            {
                var condition = conditions![j];
                if (!string.IsNullOrWhiteSpace(condition.Point) && condition is { Labels: null, Values: null, Above: null, Below: null })
                {
                    // Legal (it holds once the point has been reported at all) but almost always a forgotten test.
                    yield return $"'{field}[{j}]' on '{condition.Point}' tests nothing (no labels, values, above or below): it holds whenever the point has been reported";
                }
            }
        }

        if (rule.Type == RuleType.Threshold && rule.Clear is { } clear && (clear == rule.Above || clear == rule.Below))
        {
            yield return "'clear' equals the limit: no hysteresis, so a value hovering at the limit fires and clears over and over (chattering); move 'clear' a little to the normal side";
        }
    }
}
