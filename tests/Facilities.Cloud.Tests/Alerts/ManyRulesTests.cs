using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Rules;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>
/// A kind with more rules than one 64-bit word: the engine evaluates only the rules a message can change (bits over
/// the kind's rules), and a rule past the 64th is found, fired and resolved like the first.
/// </summary>
public sealed class ManyRulesTests(PostgresFixture postgres) : IDisposable
{
    private const int Count = 150;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("many-rules-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task KindWithMoreThan64Rules_EachRuleFiresAndResolvesOnItsOwnPoint(string provider)
    {
        var file = Path.Combine(_directory, "rules.json");
        var rules = string.Join(",\n", Enumerable.Range(0, Count).Select(i =>
            $$"""{ "id": "boiler.r{{i}}", "kind": "boiler", "type": "threshold", "severity": "info", "title": "r{{i}}", "point": "p{{i}}", "above": 10 }"""));
        File.WriteAllText(file, $$"""{ "rules": [ {{rules}} ] }""");
        var set = RuleFiles.Load(new RulesOptions { File = file }, AppContext.BaseDirectory);
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new AlertHarness(database, new ManualClock(AlertHarness.Start), rules: set);
        var t = AlertHarness.Start;

        // All points healthy: nothing fires.
        await h.SendAsync(Messages.Telemetry(1, t, "boiler-1", "boiler", Enumerable.Range(0, Count).ToDictionary(i => $"p{i}", _ => 1.0)));
        Assert.Empty(await h.AlertsAsync());

        // One point in each 64-rule word, and the last rule, over their limit in separate messages: exactly those fire.
        long seq = 2;
        int[] over = [0, 63, 64, 127, 128, Count - 1];
        foreach (var i in over)
        {
            await h.SendAsync(Messages.Telemetry(seq++, t.AddSeconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { [$"p{i}"] = 20 }));
        }

        var firing = (await h.AlertsAsync()).Where(a => a.State == "firing").Select(a => a.RuleId).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(over.Select(i => $"boiler.r{i}").Order(StringComparer.Ordinal).ToArray(), firing);

        // An event on one point past the first word clears only its rule.
        await h.SendAsync(Messages.Event(seq++, t.AddSeconds(seq), "boiler-1", "boiler", "p127", 0, null));
        var alerts = await h.AlertsAsync();
        Assert.Equal("resolved", Assert.Single(alerts, a => a.RuleId == "boiler.r127").State);
        Assert.Equal(over.Length - 1, alerts.Count(a => a.State == "firing"));
    }

    /// <summary>
    /// Point names come from the wire, so the engine keeps what it worked out for at most 4,096 of them per kind. A
    /// gateway sending ever new names must neither grow the cloud's memory nor blind the rules: past the bound, a
    /// rule's point and a wildcard rule's points are still read on every message.
    /// </summary>
    [Fact]
    public async Task PointNamesPastTheEnginesBound_StillReachTheirRules()
    {
        var file = Path.Combine(_directory, "rules.json");
        File.WriteAllText(file, """
            { "rules": [
              { "id": "boiler.hot", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "hot", "point": "supply", "above": 90 },
              { "id": "boiler.any", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "any", "point": "zone_*_temp", "above": 90 }
            ] }
            """);
        var set = RuleFiles.Load(new RulesOptions { File = file }, AppContext.BaseDirectory);
        var (database, _) = await Databases.CreateAsync("sqlite", postgres, Ct);
        var h = new AlertHarness(database, new ManualClock(AlertHarness.Start), rules: set);
        var t = AlertHarness.Start;

        // 5,000 names no rule reads, 500 to a message: past the bound of 4,096.
        long seq = 1;
        for (var m = 0; m < 10; m++)
        {
            var junk = Enumerable.Range(m * 500, 500).ToDictionary(i => $"junk_{i}", _ => 1.0);
            Assert.Equal(IngestOutcome.Accepted, Assert.Single(await h.SendAsync(Messages.Telemetry(seq++, t.AddSeconds(seq), "boiler-1", "boiler", junk))));
        }

        Assert.Empty(await h.AlertsAsync());

        // Names first seen past the bound: the plain rule's point and a new match of the wildcard rule.
        await h.SendAsync(Messages.Telemetry(seq++, t.AddSeconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { ["supply"] = 95 }));
        await h.SendAsync(Messages.Telemetry(seq++, t.AddSeconds(seq), "boiler-2", "boiler", new Dictionary<string, double> { ["zone_7_temp"] = 95 }));
        var firing = (await h.AlertsAsync()).Where(a => a.State == "firing").Select(a => (a.Device, a.RuleId)).Order().ToArray();
        Assert.Equal([("boiler-1", "boiler.hot"), ("boiler-2", "boiler.any")], firing);
    }
}
