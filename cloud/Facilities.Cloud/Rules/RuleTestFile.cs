using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Rules;

/// <summary>
/// A rule-test file as written (docs/alerting-rules.md § Testing rules): the rule files under test, and tests that
/// feed devices' points in virtual time and expect alerts at given times. <see cref="RuleTestLoader"/> checks it and
/// compiles it into <see cref="RuleTestSuite"/>.
/// </summary>
internal sealed class RuleTestFile
{
    /// <summary>Rule files (default sets), relative to the test file.</summary>
    public List<string> RuleFiles { get; set; } = [];

    /// <summary>Optional site overrides: site id → override file, relative to the test file.</summary>
    public Dictionary<string, string>? SiteRuleFiles { get; set; }

    /// <summary>When the tests' time 0 is (default 2026-01-15T00:00:00Z, a January day).</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>How often the sweeper re-evaluates every device (default 5s, the cloud's Rules:SweepInterval).</summary>
    public string? SweepInterval { get; set; }

    public FlappingEntry? Flapping { get; set; }

    public List<RuleTestEntry> Tests { get; set; } = [];
}

internal sealed class FlappingEntry
{
    public int Count { get; set; } = 3;

    public string Window { get; set; } = "30m";

    public string Hold { get; set; } = "15m";
}

internal sealed class RuleTestEntry
{
    public string Name { get; set; } = "";

    /// <summary>Spacing of the samples of a <c>series</c> (default 1m).</summary>
    public string? Interval { get; set; }

    public List<TestDeviceEntry> Devices { get; set; } = [];

    public List<ExpectEntry> Expect { get; set; } = [];
}

internal sealed class TestDeviceEntry
{
    public string Device { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Site { get; set; } = RuleTestLoader.DefaultSite;

    public string? Building { get; set; }

    public Dictionary<string, PointEntry> Points { get; set; } = [];

    /// <summary>Spans in which the gateway reports the device offline (it sends nothing of the device meanwhile).</summary>
    public List<OfflineEntry>? Offline { get; set; }
}

internal sealed class PointEntry
{
    /// <summary>Value → label, as the device's gateway profile names values (<c>{ "0": "none", "3": "trapped-at-floor" }</c>).</summary>
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Samples one <c>interval</c> apart from time 0: <c>"46 46 30x10 _ 20+5x3"</c>.</summary>
    public string? Series { get; set; }

    /// <summary>Samples at given times: <c>{ "0m": 46.5, "12m": "trapped-at-floor" }</c>.</summary>
    public Dictionary<string, JsonElement>? Values { get; set; }
}

internal sealed class OfflineEntry
{
    public string From { get; set; } = "";

    /// <summary>Back online (omitted: offline to the end).</summary>
    public string? To { get; set; }

    public string? Reason { get; set; }
}

internal sealed class ExpectEntry
{
    public string At { get; set; } = "";

    public string Rule { get; set; } = "";

    /// <summary>May be omitted when the test has one device.</summary>
    public string? Device { get; set; }

    /// <summary>firing, pending, resolved (an alert resolved, none open) or none (no alert open).</summary>
    public string State { get; set; } = "";

    public string? Severity { get; set; }

    public bool? Suppressed { get; set; }
}

/// <summary>A checked rule-test file, ready to run.</summary>
internal sealed record RuleTestSuite(string File, RuleSet Rules, DateTimeOffset Start, TimeSpan SweepInterval, Domain.Alerts.FlapPolicy Flap, IReadOnlyList<RuleTest> Tests);

/// <summary>One test: messages in time order (sample times relative to the start) and the expectations.</summary>
internal sealed record RuleTest(string Name, IReadOnlyList<RuleTestMessage> Messages, IReadOnlyList<RuleTestExpectation> Expectations);

/// <summary>What the cloud receives from one device at one time: values, or a link-state change.</summary>
internal sealed record RuleTestMessage(TimeSpan At, Domain.Alerts.ReplayDevice Device, IReadOnlyList<Domain.Alerts.ReplayReading> Readings, bool? Online = null, string? Reason = null);

internal sealed record RuleTestExpectation(string Where, TimeSpan At, Domain.Alerts.ReplayDevice Device, string Rule, string State, string? Severity, bool? Suppressed);

/// <summary>Reads a rule-test file and refuses it with every problem named by file, test and field.</summary>
internal static class RuleTestLoader
{
    public const string DefaultSite = "site";

    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyList<string> States = ["firing", "pending", "resolved", "none"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The suite in <paramref name="path"/>; throws <see cref="ConfigurationFileException"/> listing every problem.</summary>
    public static RuleTestSuite Load(string path)
    {
        RuleTestFile? file;
        try
        {
            file = JsonSerializer.Deserialize<RuleTestFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException error)
        {
            // An unknown field is almost always a typo: say so in the file's terms, not the deserializer's.
            var problem = error.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field" : FirstSentence(error.Message);
            throw new ConfigurationFileException(path, error.Path ?? "$", problem);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationFileException(path, "$", error.Message);
        }

        if (file is null)
        {
            throw new ConfigurationFileException(path, "$", "expected an object with 'ruleFiles' and 'tests'");
        }

        var problems = new List<string>();
        var rules = LoadRules(path, file, problems);
        var sweep = Duration(file.SweepInterval, "$.sweepInterval", problems, TimeSpan.FromSeconds(5), positive: true);
        var flap = file.Flapping is { } f
            ? new Domain.Alerts.FlapPolicy(f.Count, Duration(f.Window, "$.flapping.window", problems, TimeSpan.Zero, positive: true),
                Duration(f.Hold, "$.flapping.hold", problems, TimeSpan.Zero, positive: true))
            : new Domain.Alerts.FlapPolicy(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15));
        if (flap.Count < 1)
        {
            problems.Add("$.flapping.count: must be at least 1");
        }

        if (file.Tests.Count == 0)
        {
            problems.Add("$.tests: at least one test is required");
        }

        var tests = new List<RuleTest>();
        for (var i = 0; i < file.Tests.Count; i++)
        {
            if (Compile(file.Tests[i], $"$.tests[{i}]", rules, problems) is { } test)
            {
                tests.Add(test);
            }
        }

        return problems.Count == 0
            ? new RuleTestSuite(path, rules!, file.Start ?? DefaultStart, sweep, flap, tests)
            : throw new ConfigurationFileException(path, problems);
    }

    private static RuleSet? LoadRules(string path, RuleTestFile file, List<string> problems)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (file.RuleFiles.Count == 0)
        {
            problems.Add("$.ruleFiles: name at least one rule file (relative to this file)");
            return null;
        }

        // The rule files' parameters and calendars and the site files' values and devices feed the rules as in the cloud
        // (RuleFiles.Load), so a test sees a parameter's default, its site's value, or its device's (a floor-heating boiler).
        var defaults = new List<RuleDefinition>();
        var kinds = new Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>>(StringComparer.Ordinal);
        var calendars = new Dictionary<string, SeasonCalendar>(ParameterSet.Empty.Calendars, StringComparer.Ordinal);
        for (var i = 0; i < file.RuleFiles.Count; i++)
        {
            try
            {
                var content = global::Facilities.Cloud.Rules.RuleFiles.LoadDocument(Path.GetFullPath(file.RuleFiles[i], directory), overrides: false, null);
                defaults.AddRange(content.Rules);
                foreach (var (kind, declarations) in content.Parameters?.Kinds ?? new Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>>())
                {
                    kinds[kind] = kinds.TryGetValue(kind, out var earlier)
                        ? earlier.Concat(declarations).GroupBy(d => d.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
                        : declarations;
                }

                foreach (var (name, calendar) in content.Parameters?.Calendars ?? new Dictionary<string, SeasonCalendar>())
                {
                    calendars[name] = calendar;
                }
            }
            catch (ConfigurationFileException error)
            {
                problems.AddRange(error.Problems.Select(p => $"$.ruleFiles[{i}]: {error.Path}: {p}"));
            }
        }

        var parameters = new ParameterSet(kinds, calendars);
        var sites = new Dictionary<string, IReadOnlyList<RuleDefinition>>(StringComparer.Ordinal);
        var siteParameters = new Dictionary<string, SiteParameters>(StringComparer.Ordinal);
        foreach (var (site, overrideFile) in file.SiteRuleFiles ?? [])
        {
            try
            {
                var content = global::Facilities.Cloud.Rules.RuleFiles.LoadDocument(Path.GetFullPath(overrideFile, directory), overrides: true, parameters);
                sites[site] = content.Rules;
                siteParameters[site] = content.Site ?? SiteParameters.Empty;
            }
            catch (ConfigurationFileException error)
            {
                problems.AddRange(error.Problems.Select(p => $"$.siteRuleFiles.{site}: {error.Path}: {p}"));
            }
        }

        if (defaults.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            problems.Add($"$.ruleFiles: rule id '{twice.Key}' is defined in more than one file");
        }

        return new RuleSet(defaults, sites, parameters, siteParameters);
    }

    private static RuleTest? Compile(RuleTestEntry entry, string at, RuleSet? rules, List<string> problems)
    {
        var before = problems.Count;
        var where = string.IsNullOrWhiteSpace(entry.Name) ? at : $"{at} (\"{entry.Name}\")";
        if (string.IsNullOrWhiteSpace(entry.Name))
        {
            problems.Add($"{at}.name: required (it names the test in the output)");
        }

        var interval = Duration(entry.Interval, $"{where}.interval", problems, TimeSpan.FromMinutes(1), positive: true);
        if (entry.Devices.Count == 0)
        {
            problems.Add($"{where}.devices: at least one device is required");
        }

        var messages = new List<RuleTestMessage>();
        var devices = new Dictionary<string, Domain.Alerts.ReplayDevice>(StringComparer.Ordinal);
        for (var d = 0; d < entry.Devices.Count; d++)
        {
            var device = entry.Devices[d];
            var field = $"{where}.devices[{d}]";
            if (string.IsNullOrWhiteSpace(device.Device))
            {
                problems.Add($"{field}.device: required");
                continue;
            }

            if (string.IsNullOrWhiteSpace(device.Kind))
            {
                problems.Add($"{field}.kind: required (elevator, boiler, charger-shed, aed-cabinet …)");
            }

            var replayDevice = new Domain.Alerts.ReplayDevice(device.Site, device.Device, device.Kind, Building: device.Building ?? "");
            if (!devices.TryAdd(device.Device, replayDevice))
            {
                problems.Add($"{field}.device: '{device.Device}' appears twice in this test");
            }

            messages.AddRange(DeviceMessages(device, replayDevice, field, interval, problems));
        }

        var expectations = new List<RuleTestExpectation>();
        for (var e = 0; e < entry.Expect.Count; e++)
        {
            var expect = entry.Expect[e];
            var field = $"{where}.expect[{e}]";
            var time = Duration(expect.At, $"{field}.at", problems, null, positive: false);
            Domain.Alerts.ReplayDevice? device = null;
            if (expect.Device is null)
            {
                device = devices.Count == 1 ? devices.Values.Single() : null;
                if (device is null && devices.Count > 1)
                {
                    problems.Add($"{field}.device: required (the test has {devices.Count} devices)");
                }
            }
            else if (!devices.TryGetValue(expect.Device, out device))
            {
                problems.Add($"{field}.device: no device '{expect.Device}' in this test");
            }

            if (!States.Contains(expect.State))
            {
                problems.Add($"{field}.state: '{expect.State}' is not one of {string.Join(", ", States)}");
            }

            if (expect.Severity is not (null or "info" or "warning" or "critical"))
            {
                problems.Add($"{field}.severity: '{expect.Severity}' is not info, warning or critical");
            }

            if (string.IsNullOrWhiteSpace(expect.Rule))
            {
                problems.Add($"{field}.rule: required");
            }
            else if (device is not null && rules is not null && !rules.For(device.Site, device.Kind).Any(r => r.Id == expect.Rule))
            {
                problems.Add($"{field}.rule: no enabled rule '{expect.Rule}' applies to {device.Device} (kind '{device.Kind}', site '{device.Site}')");
            }

            if (device is not null)
            {
                expectations.Add(new RuleTestExpectation(where, time, device, expect.Rule, expect.State, expect.Severity, expect.Suppressed));
            }
        }

        if (entry.Expect.Count == 0)
        {
            problems.Add($"{where}.expect: at least one expectation is required");
        }

        if (problems.Count > before)
        {
            return null;
        }

        // One message per device and time, as one poll's values arrive together; link changes before values at the same time.
        var merged = messages
            .GroupBy(m => (m.At, m.Device.Device, IsState: m.Online is not null))
            .Select(g => g.Key.IsState ? g.Last() : g.First() with { Readings = [.. g.SelectMany(m => m.Readings)] })
            .OrderBy(m => m.At).ThenBy(m => m.Online is null).ThenBy(m => m.Device.Device, StringComparer.Ordinal)
            .ToList();
        return new RuleTest(entry.Name, merged, [.. expectations.OrderBy(x => x.At)]);
    }

    private static List<RuleTestMessage> DeviceMessages(TestDeviceEntry device, Domain.Alerts.ReplayDevice replayDevice, string field, TimeSpan interval, List<string> problems)
    {
        var offline = new List<(TimeSpan From, TimeSpan? To)>();
        var messages = new List<RuleTestMessage>();
        for (var o = 0; o < (device.Offline?.Count ?? 0); o++)
        {
            var span = device.Offline![o];
            var from = Duration(span.From, $"{field}.offline[{o}].from", problems, null, positive: false);
            TimeSpan? to = span.To is null ? null : Duration(span.To, $"{field}.offline[{o}].to", problems, null, positive: false);
            if (to <= from)
            {
                problems.Add($"{field}.offline[{o}].to: must be after 'from'");
            }

            offline.Add((from, to));
            messages.Add(new RuleTestMessage(from, replayDevice, [], Online: false, Reason: span.Reason ?? "no answer"));
            if (to is { } back)
            {
                messages.Add(new RuleTestMessage(back, replayDevice, [], Online: true));
            }
        }

        if (device.Points.Count == 0)
        {
            problems.Add($"{field}.points: at least one point is required");
        }

        foreach (var (point, entry) in device.Points)
        {
            var pointField = $"{field}.points.{point}";
            foreach (var (at, reading) in Samples(point, entry, pointField, interval, problems))
            {
                // An offline device answers nothing: what the series says for that time never reaches the cloud.
                if (!offline.Any(span => at >= span.From && (span.To is not { } to || at < to)))
                {
                    messages.Add(new RuleTestMessage(at, replayDevice, [reading]));
                }
            }
        }

        return messages;
    }

    private static List<(TimeSpan At, Domain.Alerts.ReplayReading Reading)> Samples(string point, PointEntry entry, string field, TimeSpan interval, List<string> problems)
    {
        var samples = new List<(TimeSpan, Domain.Alerts.ReplayReading)>();
        if ((entry.Series is null) == (entry.Values is null))
        {
            problems.Add($"{field}: give exactly one of 'series' and 'values'");
            return samples;
        }

        var byLabel = new Dictionary<string, double>(StringComparer.Ordinal);
        var byValue = new Dictionary<double, string>();
        foreach (var (key, label) in entry.Labels ?? [])
        {
            if (!double.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                problems.Add($"{field}.labels: key '{key}' is not a number (labels map a value to its name)");
                continue;
            }

            byValue[number] = label;
            byLabel.TryAdd(label, number);
        }

        Domain.Alerts.ReplayReading? Reading(string token, string at)
        {
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return new Domain.Alerts.ReplayReading(point, number, byValue.GetValueOrDefault(number));
            }

            if (byLabel.TryGetValue(token, out var value))
            {
                return new Domain.Alerts.ReplayReading(point, value, token);
            }

            problems.Add($"{at}: '{token}' is neither a number nor one of this point's labels{(byLabel.Count == 0 ? " (it has no 'labels')" : $" ({string.Join(", ", byLabel.Keys)})")}");
            return null;
        }

        if (entry.Values is { } values)
        {
            foreach (var (time, value) in values)
            {
                var at = Duration(time, $"{field}.values.{time}", problems, null, positive: false);
                var token = value.ValueKind switch
                {
                    JsonValueKind.Number => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                    JsonValueKind.String => value.GetString()!,
                    _ => null,
                };
                if (token is null)
                {
                    problems.Add($"{field}.values.{time}: expected a number or a label, got {value.ValueKind.ToString().ToLowerInvariant()}");
                }
                else if (Reading(token, $"{field}.values.{time}") is { } reading)
                {
                    samples.Add((at, reading));
                }
            }

            return samples;
        }

        var step = 0;
        foreach (var token in entry.Series!.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = $"{field}.series";
            foreach (var item in RuleTestSeries.Expand(token, at, problems))
            {
                if (item is not null && Reading(item.Value.Label ?? item.Value.Number.ToString("R", CultureInfo.InvariantCulture), at) is { } reading)
                {
                    samples.Add((interval * step, reading));
                }

                step++;
            }
        }

        return samples;
    }

    /// <summary>
    /// A duration: Prometheus style (<c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>, <c>0</c>) or .NET's
    /// <c>[d.]hh:mm:ss</c>. Null or empty gives <paramref name="fallback"/> (a problem when there is none).
    /// </summary>
    public static TimeSpan Duration(string? text, string field, List<string> problems, TimeSpan? fallback, bool positive)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (string.IsNullOrWhiteSpace(text))
        {
            if (fallback is { } value)
            {
                return value;
            }

            problems.Add($"{field}: required (a time such as 0m, 90s, 1h30m)");
            return TimeSpan.Zero;
        }

        if (ParseDuration(text) is not { } duration || duration < TimeSpan.Zero || (positive && duration == TimeSpan.Zero))
        {
            problems.Add($"{field}: '{text}' is not a {(positive ? "positive " : "")}duration (use e.g. 30s, 5m, 1h30m, 2d or 00:05:00)");
            return TimeSpan.Zero;
        }

        return duration;
    }

    public static TimeSpan? ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetterLower(text[i]))
            {
                i++;
            }

            if (start == unitStart || unitStart == i
                || !double.TryParse(text.AsSpan(start, unitStart - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                return null;
            }

            TimeSpan? part = text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                "d" => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (part is null)
            {
                return null;
            }

            total += part.Value;
        }

        return total;
    }

    /// <summary>A time relative to the start as people write it back (<c>1h30m</c>, <c>45s</c>, <c>0m</c>).</summary>
    public static string Format(TimeSpan time)
    {
        if (time == TimeSpan.Zero)
        {
            return "0m";
        }

        var text = "";
        if (time.Days > 0)
        {
            text += $"{time.Days}d";
        }

        if (time.Hours > 0)
        {
            text += $"{time.Hours}h";
        }

        if (time.Minutes > 0)
        {
            text += $"{time.Minutes}m";
        }

        if (time.Seconds > 0 || time.Milliseconds > 0)
        {
            text += time.Milliseconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{time.Seconds + (time.Milliseconds / 1000.0)}s") : $"{time.Seconds}s";
        }

        return text;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

/// <summary>
/// The series notation of rule-test files: space-separated samples, one <c>interval</c> apart. <c>46.5</c> a value;
/// <c>trapped-at-floor</c> a label of the point; <c>_</c> no sample (the gateway sent nothing of this point then);
/// <c>30x10</c> the value ten times; <c>20+5x4</c> four samples from 20 rising by 5 (20 25 30 35), <c>60-2x3</c>
/// falling; <c>_x5</c> five steps without a sample.
/// </summary>
internal static class RuleTestSeries
{
    /// <summary>The samples of one token; null items are steps without a sample. Problems are added with <paramref name="field"/>.</summary>
    public static IEnumerable<(double Number, string? Label)?> Expand(string token, string field, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(problems);
        var times = 1;
        var body = token;
        var x = token.LastIndexOf('x');
        if (x > 0 && x < token.Length - 1 && token[(x + 1)..].All(char.IsAsciiDigit))
        {
            if (!int.TryParse(token.AsSpan(x + 1), NumberStyles.None, CultureInfo.InvariantCulture, out times) || times is < 1 or > 1_000_000)
            {
                problems.Add($"{field}: '{token}': the repeat count must be 1 to 1000000");
                return [];
            }

            body = token[..x];
        }

        if (body == "_")
        {
            return Enumerable.Repeat<(double, string?)?>(null, times);
        }

        // a+b or a-b (a sign after the first character, not an exponent's): a run that changes by b per sample.
        var sign = body.Length > 1 ? body.IndexOfAny(['+', '-'], 1) : -1;
        if (sign > 0 && body[sign - 1] is not ('e' or 'E')
            && double.TryParse(body.AsSpan(0, sign), NumberStyles.Float, CultureInfo.InvariantCulture, out var first)
            && double.TryParse(body.AsSpan(sign), NumberStyles.Float, CultureInfo.InvariantCulture, out var delta))
        {
            return Enumerable.Range(0, times).Select(i => ((double, string?)?)(Math.Round(first + (delta * i), 9), null));
        }

        if (double.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return Enumerable.Repeat<(double, string?)?>((number, null), times);
        }

        // Anything else is a label; the caller checks it against the point's labels.
        return Enumerable.Repeat<(double, string?)?>((double.NaN, body), times);
    }
}
