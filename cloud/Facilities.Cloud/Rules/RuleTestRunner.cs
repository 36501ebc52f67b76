using Facilities.Cloud.Domain.Alerts;

namespace Facilities.Cloud.Rules;

/// <summary>An expectation that did not hold: where, what was expected and what the rules did.</summary>
internal sealed record RuleTestFailure(string Test, TimeSpan At, string Rule, string Device, string Expected, string Got);

/// <summary>
/// Runs a rule-test suite: each test on a fresh <see cref="AlertReplay"/> (the cloud's rules and alert lifecycle in
/// virtual time), its messages fed in time order, every expectation checked after everything up to its time (messages
/// and sweeps) has happened.
/// </summary>
internal static class RuleTestRunner
{
    public static IReadOnlyList<RuleTestFailure> Run(RuleTestSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var failures = new List<RuleTestFailure>();
        foreach (var test in suite.Tests)
        {
            failures.AddRange(Run(suite, test));
        }

        return failures;
    }

    private static List<RuleTestFailure> Run(RuleTestSuite suite, RuleTest test)
    {
        var replay = new AlertReplay(suite.Rules, new AlertLifecycle(suite.Flap), suite.Start, suite.SweepInterval);
        var failures = new List<RuleTestFailure>();
        var next = 0;
        foreach (var expectation in test.Expectations)
        {
            while (next < test.Messages.Count && test.Messages[next].At <= expectation.At)
            {
                var message = test.Messages[next++];
                var ts = suite.Start + message.At;
                if (message.Online is { } online)
                {
                    replay.ReceiveState(message.Device, online, message.Reason, ts);
                }
                else
                {
                    replay.Receive(message.Device, message.Readings, ts);
                }
            }

            replay.AdvanceTo(suite.Start + expectation.At);
            if (Check(replay, suite, expectation) is { } got)
            {
                failures.Add(new RuleTestFailure(test.Name, expectation.At, expectation.Rule, expectation.Device.Device, Describe(expectation), got));
            }
        }

        return failures;
    }

    /// <summary>Null when the expectation holds; otherwise what the rules did instead.</summary>
    private static string? Check(AlertReplay replay, RuleTestSuite suite, RuleTestExpectation expected)
    {
        var device = expected.Device;
        var open = replay.Open(device.Site, device.Device, expected.Rule);
        var latest = replay.Latest(device.Site, device.Device, expected.Rule);
        var state = open?.State switch
        {
            AlertState.Pending => "pending",
            AlertState.Firing or AlertState.Acknowledged => "firing",
            _ => latest is { State: AlertState.Resolved } ? "resolved" : "none",
        };
        var matches = expected.State switch
        {
            "none" => open is null,
            _ => state == expected.State,
        };
        var severity = suite.Rules.Find(device.Site, expected.Rule)?.Severity;
        var suppressed = open?.Suppressed;
        if (matches && (expected.Severity is null || expected.Severity == severity) && (expected.Suppressed is null || expected.Suppressed == (suppressed is not null)))
        {
            return null;
        }

        return Describe(state, open ?? latest, severity, suite.Start);
    }

    private static string Describe(RuleTestExpectation expected) =>
        expected.State + (expected.Severity is null ? "" : $", severity {expected.Severity}") + (expected.Suppressed switch { true => ", suppressed", false => ", not suppressed", _ => "" });

    private static string Describe(string state, Alert? alert, string? severity, DateTimeOffset start)
    {
        if (alert is null)
        {
            return "none (no alert)";
        }

        var since = state switch
        {
            "pending" => $" since {RuleTestLoader.Format(alert.OpenedAt - start)}",
            "firing" => $" since {RuleTestLoader.Format((alert.FiredAt ?? alert.OpenedAt) - start)}",
            "resolved" => $" at {RuleTestLoader.Format((alert.ResolvedAt ?? alert.OpenedAt) - start)}",
            _ => "",
        };
        var suppressed = alert.Suppressed is { } reason ? $", suppressed ({reason})" : state is "resolved" ? "" : ", not suppressed";
        return state == "resolved" ? $"{state}{since}, severity {severity}" : $"{state}{since}, severity {severity}{suppressed}: {alert.Detail}";
    }
}
