using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Rules;

/// <summary>
/// Loads the rules in force from files: the default set and each site's overrides. Loading checks every rule and
/// reports every problem with the file, the rule's position and the field, like the gateway's configuration errors.
/// A file is a JSON array of rules, or an object: <c>{ "parameters": { kind: { name: default } }, "calendars": { … },
/// "rules": [ … ] }</c> for the default set; <c>{ "parameters": { kind: { name: value } }, "calendars": { … },
/// "devices": { id: { "parameters": { … }, "attributes": { … } } }, "rules": [ … ] }</c> for a site
/// (docs/configuration.md § Device parameters).
/// </summary>
public static class RuleFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly string[] Sections = ["parameters", "calendars", "devices", "rules"];

    public static RuleSet Load(RulesOptions options, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaultsPath = Path.GetFullPath(options.File, baseDirectory);
        var defaults = LoadDocument(defaultsPath, overrides: false, null);
        var parameters = defaults.Parameters ?? ParameterSet.Empty;
        var sites = new Dictionary<string, IReadOnlyList<RuleDefinition>>();
        var siteParameters = new Dictionary<string, SiteParameters>();
        if (!string.IsNullOrEmpty(options.SiteDirectory))
        {
            var directory = Path.GetFullPath(options.SiteDirectory, baseDirectory);
            if (!Directory.Exists(directory))
            {
                throw new ConfigurationFileException(directory, "$", "Rules:SiteDirectory does not exist");
            }

            foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                var site = LoadDocument(file, overrides: true, parameters);
                sites[Path.GetFileNameWithoutExtension(file)] = site.Rules;
                siteParameters[Path.GetFileNameWithoutExtension(file)] = site.Site ?? SiteParameters.Empty;
            }
        }

        return new RuleSet(defaults.Rules, sites, parameters, siteParameters);
    }

    /// <summary>The parameters the shipped default rule set declares (next to the executable), for checking a site file on its own; null when it is not there.</summary>
    internal static ParameterSet? ShippedParameters()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json");
        return File.Exists(shipped) ? ReadDocument(shipped).Parameters : null;
    }

    /// <summary>The rules of one file, checked (a default set's references against its own parameters).</summary>
    public static IReadOnlyList<RuleDefinition> LoadFile(string path, bool overrides = false) => LoadDocument(path, overrides, null).Rules;

    /// <summary>A file read and checked: <paramref name="defaults"/> are the parameters a site file's values and rules must name (null: a default set, its own).</summary>
    internal static RuleFileContent LoadDocument(string path, bool overrides, ParameterSet? defaults)
    {
        var content = ReadDocument(path);
        var problems = Problems(content, overrides, defaults);
        return problems.Count == 0 ? content : throw new ConfigurationFileException(path, problems);
    }

    /// <summary>
    /// Every problem of a file read with <see cref="ReadDocument"/>: its rules', and its parameters' and references'
    /// when the parameters they name are known (<paramref name="defaults"/>, or the file's own).
    /// </summary>
    internal static IReadOnlyList<string> Problems(RuleFileContent content, bool overrides, ParameterSet? defaults)
    {
        ArgumentNullException.ThrowIfNull(content);
        var problems = new List<string>(content.Problems);
        if (!overrides && content.Site is { Devices.Count: > 0 })
        {
            problems.Add("$.devices: device entries belong in a site file (Rules:SiteDirectory/{site}.json)");
        }

        var known = overrides ? defaults : content.Parameters ?? ParameterSet.Empty;
        if (known is not null && overrides && content.Site is { } site)
        {
            problems.AddRange(SiteProblems(site, known));
            known = new ParameterSet(known.Kinds, known.Calendars.Concat(site.Calendars).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal));
        }

        problems.AddRange(RuleChecks.Problems(content.Rules, overrides, known));
        return problems;
    }

    private static IEnumerable<string> SiteProblems(SiteParameters site, ParameterSet known)
    {
        foreach (var (kind, values) in site.Kinds)
        {
            foreach (var (name, value) in values)
            {
                if (known.CheckValue(kind, name, value) is { } problem)
                {
                    yield return $"$.parameters.{kind}.{name}: {problem}";
                }
            }
        }

        foreach (var (device, entry) in site.Devices)
        {
            if (entry.Parameters.Count > 0 && entry.Kind is null)
            {
                yield return $"$.devices.{device}: 'kind' is required when a device sets parameters (which kind's parameters they are)";
                continue;
            }

            foreach (var (name, value) in entry.Parameters)
            {
                if (known.CheckValue(entry.Kind!, name, value) is { } problem)
                {
                    yield return $"$.devices.{device}.parameters.{name}: {problem}";
                }
            }

            if (entry.Attributes.GetValueOrDefault(DeviceSettings.RescueCode) is { } rescue && !(rescue.Length == 6 && rescue.All(char.IsAsciiDigit)))
            {
                yield return $"$.devices.{device}.attributes.{DeviceSettings.RescueCode}: the 96333 rescue code is six digits, got '{rescue}'";
            }
        }
    }

    /// <summary>Reads a rule file without checking its rules; a missing or unreadable file and broken JSON throw with the file and the JSON path.</summary>
    internal static IReadOnlyList<RuleDefinition> ReadFile(string path) => ReadDocument(path).Rules;

    /// <summary>
    /// Reads a rule file in either form without checking its rules; the parameter sections' problems are collected in
    /// <see cref="RuleFileContent.Problems"/>. A missing or unreadable file and broken JSON throw with the file and the JSON path.
    /// </summary>
    internal static RuleFileContent ReadDocument(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return new RuleFileContent(Rules(root, "$"), null, null, []);
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationFileException(path, "$", "expected an array of rules or an object with 'rules'");
            }

            var problems = new List<string>();
            foreach (var property in root.EnumerateObject().Where(p => !Sections.Contains(p.Name, StringComparer.Ordinal)))
            {
                problems.Add($"$.{property.Name}: unknown section (known: {string.Join(", ", Sections)})");
            }

            var rules = root.TryGetProperty("rules", out var rulesElement) ? Rules(rulesElement, "$.rules") : [];
            var calendars = Calendars(root, problems);
            var declarations = new Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>>(StringComparer.Ordinal);
            var siteValues = new Dictionary<string, IReadOnlyDictionary<string, ParameterValue>>(StringComparer.Ordinal);
            if (root.TryGetProperty("parameters", out var parameters))
            {
                ReadParameters(parameters, declarations, siteValues, problems);
            }

            var devices = new Dictionary<string, DeviceEntry>(StringComparer.Ordinal);
            if (root.TryGetProperty("devices", out var devicesElement))
            {
                ReadDevices(devicesElement, devices, problems);
            }

            var defaultCalendars = new Dictionary<string, SeasonCalendar>(StringComparer.Ordinal) { [SeasonCalendar.HeatingSeasonName] = SeasonCalendar.HeatingSeason };
            foreach (var (name, calendar) in calendars)
            {
                defaultCalendars[name] = calendar;
            }

            return new RuleFileContent(
                rules,
                new ParameterSet(declarations, defaultCalendars),
                new SiteParameters(siteValues, calendars, devices),
                problems);
        }
        catch (JsonException error)
        {
            throw new ConfigurationFileException(path, error.Path ?? "$", error.Message);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // UnauthorizedAccessException: no read permission, or the path is a directory.
            throw new ConfigurationFileException(path, "$", error.Message);
        }
    }

    private static List<RuleDefinition> Rules(JsonElement element, string path)
    {
        try
        {
            return element.Deserialize<List<RuleDefinition>>(Json) ?? throw new JsonException("expected an array of rules");
        }
        catch (JsonException error) when (path != "$")
        {
            throw new JsonException(error.Message, (error.Path ?? "$").Replace("$", path, StringComparison.Ordinal), error.LineNumber, error.BytePositionInLine);
        }
    }

    private static Dictionary<string, SeasonCalendar> Calendars(JsonElement root, List<string> problems)
    {
        var calendars = new Dictionary<string, SeasonCalendar>(StringComparer.Ordinal);
        if (!root.TryGetProperty("calendars", out var element))
        {
            return calendars;
        }

        foreach (var property in element.ValueKind == JsonValueKind.Object ? element.EnumerateObject() : [])
        {
            var (calendar, problem) = SeasonCalendar.Read(property.Value);
            if (calendar is null)
            {
                problems.Add($"$.calendars.{property.Name}: {problem}");
            }
            else
            {
                calendars[property.Name] = calendar;
            }
        }

        return calendars;
    }

    /// <summary>
    /// <c>"parameters": { kind: { name: … } }</c>: read both as declarations (a default file) and as values (a site
    /// file); which reading counts depends on the file's role, checked by <see cref="Problems"/>.
    /// </summary>
    private static void ReadParameters(
        JsonElement element, Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>> declarations,
        Dictionary<string, IReadOnlyDictionary<string, ParameterValue>> values, List<string> problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add("$.parameters: expected an object of device kinds");
            return;
        }

        var declarationProblems = new List<string>();
        foreach (var kind in element.EnumerateObject())
        {
            var kindDeclarations = new Dictionary<string, ParameterDeclaration>(StringComparer.Ordinal);
            var kindValues = new Dictionary<string, ParameterValue>(StringComparer.Ordinal);
            foreach (var parameter in kind.Value.ValueKind == JsonValueKind.Object ? kind.Value.EnumerateObject() : [])
            {
                var (declaration, problem) = ParameterDeclaration.Read(parameter.Value);
                if (declaration is null)
                {
                    declarationProblems.Add($"$.parameters.{kind.Name}.{parameter.Name}: {problem}");
                }
                else
                {
                    kindDeclarations[parameter.Name] = declaration;
                }

                if (ParameterValue.Read(parameter.Value) is { } value)
                {
                    kindValues[parameter.Name] = value;
                }
            }

            declarations[kind.Name] = kindDeclarations;
            values[kind.Name] = kindValues;
        }

        problems.AddRange(declarationProblems);
    }

    private static void ReadDevices(JsonElement element, Dictionary<string, DeviceEntry> devices, List<string> problems)
    {
        foreach (var device in element.ValueKind == JsonValueKind.Object ? element.EnumerateObject() : [])
        {
            var parameters = new Dictionary<string, ParameterValue>(StringComparer.Ordinal);
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            string? kind = null;
            foreach (var field in device.Value.ValueKind == JsonValueKind.Object ? device.Value.EnumerateObject() : [])
            {
                switch (field.Name)
                {
                    case "kind" when field.Value.ValueKind == JsonValueKind.String:
                        kind = field.Value.GetString();
                        break;
                    case "parameters" when field.Value.ValueKind == JsonValueKind.Object:
                        foreach (var parameter in field.Value.EnumerateObject())
                        {
                            if (ParameterValue.Read(parameter.Value) is { } value)
                            {
                                parameters[parameter.Name] = value;
                            }
                            else
                            {
                                problems.Add($"$.devices.{device.Name}.parameters.{parameter.Name}: a parameter value is a number or a text");
                            }
                        }

                        break;
                    case "attributes" when field.Value.ValueKind == JsonValueKind.Object:
                        foreach (var attribute in field.Value.EnumerateObject())
                        {
                            if (attribute.Value.ValueKind == JsonValueKind.String)
                            {
                                attributes[attribute.Name] = attribute.Value.GetString()!;
                            }
                            else
                            {
                                problems.Add($"$.devices.{device.Name}.attributes.{attribute.Name}: an attribute is a text");
                            }
                        }

                        break;
                    default:
                        problems.Add($"$.devices.{device.Name}.{field.Name}: a device entry has 'kind' (text), 'parameters' and 'attributes' (objects)");
                        break;
                }
            }

            devices[device.Name] = new DeviceEntry(parameters, attributes) { Kind = kind };
        }
    }
}

/// <summary>
/// A rule file as read: its rules, the parameters it declares (a default file), what it sets for its site (a site
/// file), and the problems found reading the parameter sections.
/// </summary>
internal sealed record RuleFileContent(IReadOnlyList<RuleDefinition> Rules, ParameterSet? Parameters, SiteParameters? Site, IReadOnlyList<string> Problems);
