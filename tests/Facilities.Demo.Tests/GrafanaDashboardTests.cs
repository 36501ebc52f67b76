using System.Text.Json;
using System.Text.RegularExpressions;

namespace Facilities.Demo.Tests;

/// <summary>
/// docs/grafana/facilities-telemetry.json against docs/telemetry-schema.md and the shipped device profiles: every query
/// names measurements, fields and tags that exist, and InfluxDB 1.6 accepts every query.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Facilities.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Facilities.sln not found above the test's directory");
    }

    private sealed record Measurement(HashSet<string> Tags, HashSet<string> Fields);

    /// <summary>The schema as docs/telemetry-schema.md states it; per-kind fields from the profiles it refers to.</summary>
    private static Dictionary<string, Measurement> Schema()
    {
        var schema = new Dictionary<string, Measurement>(StringComparer.Ordinal);
        var doc = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "telemetry-schema.md"));
        var table = doc.SkipWhile(l => !l.StartsWith("| measurement |", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|'));
        foreach (var row in table)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            var tags = Ticked(cells[2]).ToHashSet(StringComparer.Ordinal);
            if (cells[1] == "telemetry")
            {
                // "one per device kind, every reading as a float, named as in the profile; {point}_label for each label"
                Assert.Contains("named as in the profile", cells[3], StringComparison.Ordinal);
                foreach (var profile in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "profiles"), "*.json"))
                {
                    using var json = JsonDocument.Parse(File.ReadAllText(profile));
                    var kind = json.RootElement.GetProperty("kind").GetString()!;
                    var measurement = NonIdentifier().Replace(kind.ToLowerInvariant(), "_");
                    var fields = schema.TryGetValue(measurement, out var known) ? known.Fields : [];
                    foreach (var point in json.RootElement.GetProperty("points").EnumerateArray())
                    {
                        var role = point.TryGetProperty("role", out var r) ? r.GetString() : "telemetry";
                        if (role == "event")
                        {
                            continue; // events go to the events measurement
                        }

                        var name = point.GetProperty("name").GetString()!;
                        fields.Add(name);
                        if (point.TryGetProperty("enum", out _))
                        {
                            fields.Add(name + "_label");
                        }
                    }

                    schema[measurement] = new Measurement(tags, fields);
                }
            }
            else
            {
                foreach (var name in Ticked(cells[0]))
                {
                    schema[name] = new Measurement(tags, Ticked(cells[3]).Select(f => f.Split(' ')[0]).ToHashSet(StringComparer.Ordinal));
                }
            }
        }

        Assert.True(schema.ContainsKey("elevator") && schema.ContainsKey("events") && schema.ContainsKey("gateway_status"), "the schema table was not read");
        return schema;
    }

    private static IEnumerable<string> Ticked(string cell) => Backticked().Matches(cell).Select(m => m.Groups[1].Value);

    private static List<(string Where, string Query)> Queries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "grafana", "facilities-telemetry.json")));
        var queries = new List<(string, string)>();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                Assert.True(target.GetProperty("rawQuery").GetBoolean(), $"panel '{panel.GetProperty("title")}' has a query built in the editor: keep them raw InfluxQL so this test reads them");
                queries.Add(($"panel '{panel.GetProperty("title").GetString()}' {target.GetProperty("refId").GetString()}", target.GetProperty("query").GetString()!));
            }
        }

        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
        {
            queries.Add(($"variable ${variable.GetProperty("name").GetString()}", variable.GetProperty("query").GetString()!));
        }

        Assert.True(queries.Count >= 10, $"only {queries.Count} queries found");
        return queries;
    }

    [Fact]
    public void Dashboard_EveryQuery_NamesMeasurementsFieldsAndTagsOfTheSchema()
    {
        var schema = Schema();
        foreach (var (where, query) in Queries())
        {
            var from = FromClause().Match(query);
            Assert.True(from.Success, $"{where}: no FROM \"measurement\" in {query}");
            var measurement = from.Groups[1].Value;
            Assert.True(schema.TryGetValue(measurement, out var known), $"{where}: measurement '{measurement}' is not in docs/telemetry-schema.md");
            var show = ShowTagValues().Match(query);
            if (show.Success)
            {
                Assert.Contains(show.Groups[1].Value, known!.Tags);
                continue;
            }

            var select = query[..from.Index];
            var rest = query[(from.Index + from.Length)..];
            foreach (var field in Quoted().Matches(select).Select(m => m.Groups[1].Value))
            {
                Assert.True(known!.Fields.Contains(field), $"{where}: '{measurement}' has no field '{field}' (fields: {string.Join(", ", known.Fields.Order())})");
            }

            foreach (var name in Quoted().Matches(rest).Select(m => m.Groups[1].Value))
            {
                Assert.True(known!.Tags.Contains(name) || known.Fields.Contains(name), $"{where}: '{measurement}' has no tag or field '{name}'");
            }
        }
    }

    [Fact]
    public async Task Dashboard_EveryQuery_IsAcceptedByInfluxDb16()
    {
        await using var influx = await InfluxServer.StartAsync(Ct);
        await influx.CreateDatabaseAsync("facilities", Ct);
        foreach (var (where, query) in Queries())
        {
            // Grafana's macros and the dashboard's variables, as Grafana substitutes them.
            var concrete = query.Replace("$timeFilter", "time > now() - 6h", StringComparison.Ordinal)
                .Replace("$__interval", "1m", StringComparison.Ordinal)
                .Replace("/^$site$/", "/^estate-a$/", StringComparison.Ordinal)
                .Replace("/^$elevator$/", "/^(b01-elevator-1|b01-elevator-2)$/", StringComparison.Ordinal);
            Assert.False(GrafanaVariable().IsMatch(concrete), $"{where}: a Grafana variable this test does not substitute: {concrete}");
            try
            {
                await influx.RowsAsync("facilities", concrete, Ct);
            }
            catch (InvalidOperationException e)
            {
                Assert.Fail($"{where}: InfluxDB refused the query: {e.Message}");
            }
        }
    }

    [GeneratedRegex(@"\$[A-Za-z_]")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"[^a-z0-9_]")]
    private static partial Regex NonIdentifier();

    [GeneratedRegex(@"\bFROM\s+""([^""]+)""")]
    private static partial Regex FromClause();

    [GeneratedRegex(@"^SHOW TAG VALUES FROM ""[^""]+"" WITH KEY = ""([^""]+)""")]
    private static partial Regex ShowTagValues();

    [GeneratedRegex(@"""([^""]+)""")]
    private static partial Regex Quoted();
}
