using System.Globalization;
using System.Text.Json;

namespace Facilities.Cloud.Domain.Rules;

/// <summary>
/// A parameter a kind declares in the default rule file: a number (<c>"maxChargeHours": 8</c>), a text, or a choice
/// whose value sets numbers (<c>"heatingSystem": { "default": "radiator", "choices": { "radiator": { "maxSupply": 85 },
/// "floor": { "maxSupply": 60 } } }</c>).
/// </summary>
public sealed record ParameterDeclaration(double? Number, string? Text, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? Choices)
{
    /// <summary>Reads one declaration; a problem names what is wrong (the caller adds the path).</summary>
    public static (ParameterDeclaration? Declaration, string? Problem) Read(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return (new ParameterDeclaration(element.GetDouble(), null, null), null);
            case JsonValueKind.String:
                return (new ParameterDeclaration(null, element.GetString(), null), null);
            case JsonValueKind.Object:
                if (!element.TryGetProperty("default", out var fallback) || fallback.ValueKind != JsonValueKind.String
                    || !element.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Object)
                {
                    return (null, "a choice parameter needs 'default' (text) and 'choices' (an object of choice → numbers)");
                }

                var table = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
                foreach (var choice in choices.EnumerateObject())
                {
                    if (choice.Value.ValueKind != JsonValueKind.Object || choice.Value.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Number))
                    {
                        return (null, $"choice '{choice.Name}' must be an object of parameter names and numbers");
                    }

                    table[choice.Name] = choice.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);
                }

                return table.ContainsKey(fallback.GetString()!)
                    ? (new ParameterDeclaration(null, fallback.GetString(), table), null)
                    : (null, $"default '{fallback.GetString()}' is not one of the choices ({string.Join(", ", table.Keys)})");
            default:
                return (null, "a parameter is a number, a text, or { \"default\": …, \"choices\": { … } }");
        }
    }
}

/// <summary>
/// The parameters each kind declares (default rule file) and the values a site and its devices set (site file), and
/// the calendars; resolves what one device's rules see. Pure data: the host reads the files.
/// </summary>
public sealed class ParameterSet
{
    /// <summary>No parameters; the built-in heating season (a file that declares nothing still has it).</summary>
    public static ParameterSet Empty { get; } = new(
        new Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>>(),
        new Dictionary<string, SeasonCalendar> { [SeasonCalendar.HeatingSeasonName] = SeasonCalendar.HeatingSeason });

    public ParameterSet(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>> kinds,
        IReadOnlyDictionary<string, SeasonCalendar> calendars)
    {
        Kinds = kinds;
        Calendars = calendars;
    }

    /// <summary>Declarations per device kind.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>> Kinds { get; }

    /// <summary>The default calendars (heating season 15 Nov – 15 Mar).</summary>
    public IReadOnlyDictionary<string, SeasonCalendar> Calendars { get; }

    /// <summary>The names a rule of <paramref name="kind"/> may reference: declared numbers, choices and the numbers the choices set.</summary>
    public IReadOnlySet<string> Names(string kind)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scope in new[] { kind, "*" })
        {
            foreach (var (name, declaration) in Kinds.GetValueOrDefault(scope) ?? new Dictionary<string, ParameterDeclaration>())
            {
                names.Add(name);
                names.UnionWith(declaration.Choices?.Values.SelectMany(c => c.Keys) ?? []);
            }
        }

        return names;
    }

    /// <summary>Whether <paramref name="value"/> is acceptable for parameter <paramref name="name"/> of <paramref name="kind"/>; null when it is, else why not.</summary>
    public string? CheckValue(string kind, string name, ParameterValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var declaration = Declaration(kind, name);
        var derived = declaration is null && Names(kind).Contains(name);
        return (declaration, value) switch
        {
            (null, _) when derived => value.Number is null ? $"'{name}' is a number" : null,
            (null, _) => $"unknown parameter '{name}' for kind '{kind}' (known: {string.Join(", ", Names(kind).Order(StringComparer.Ordinal))})",
            ({ Choices: { } choices }, _) when value.Text is null || !choices.ContainsKey(value.Text) =>
                $"'{name}' must be one of {string.Join(", ", choices.Keys)}",
            ({ Number: not null }, { Number: null }) => $"'{name}' is a number",
            _ => null,
        };
    }

    private ParameterDeclaration? Declaration(string kind, string name) =>
        Kinds.GetValueOrDefault(kind)?.GetValueOrDefault(name) ?? Kinds.GetValueOrDefault("*")?.GetValueOrDefault(name);

    /// <summary>
    /// What one device's rules see: the kind's defaults, then the site's values, then the device's. A choice sets its
    /// numbers at the level it is made (a device declared <c>floor</c> gets 60 °C even if its site set 70 for every
    /// boiler), and a number set at the same level as a choice wins over the choice's.
    /// </summary>
    public DeviceSettings Resolve(string kind, SiteParameters? site, string device, TimeZoneInfo zone)
    {
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var declared = new Dictionary<string, ParameterDeclaration>(StringComparer.Ordinal);
        foreach (var scope in new[] { "*", kind })
        {
            foreach (var (name, declaration) in Kinds.GetValueOrDefault(scope) ?? new Dictionary<string, ParameterDeclaration>())
            {
                declared[name] = declaration;
            }
        }

        var defaults = declared.ToDictionary(d => d.Key, d => new ParameterValue(d.Value.Number, d.Value.Text), StringComparer.Ordinal);
        var deviceEntry = site?.Devices.GetValueOrDefault(device);
        foreach (var level in new[] { defaults, site?.Kinds.GetValueOrDefault(kind), site?.Kinds.GetValueOrDefault("*"), deviceEntry?.Parameters })
        {
            if (level is null)
            {
                continue;
            }

            foreach (var (name, value) in level)
            {
                if (value.Text is { } text)
                {
                    texts[name] = text;
                    foreach (var (derived, number) in declared.GetValueOrDefault(name)?.Choices?.GetValueOrDefault(text) ?? new Dictionary<string, double>())
                    {
                        numbers[derived] = number;
                    }
                }
            }

            foreach (var (name, value) in level)
            {
                if (value.Number is { } number)
                {
                    numbers[name] = number;
                }
            }
        }

        var calendars = new Dictionary<string, SeasonCalendar>(Calendars, StringComparer.Ordinal);
        foreach (var (name, calendar) in site?.Calendars ?? new Dictionary<string, SeasonCalendar>())
        {
            calendars[name] = calendar;
        }

        return new DeviceSettings(numbers, texts, deviceEntry?.Attributes ?? new Dictionary<string, string>(), calendars, zone);
    }
}

/// <summary>A parameter's value as a site or device sets it: a number or a text (a choice).</summary>
public sealed record ParameterValue(double? Number, string? Text)
{
    public static ParameterValue? Read(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => new ParameterValue(element.GetDouble(), null),
        JsonValueKind.String => new ParameterValue(null, element.GetString()),
        _ => null,
    };

    public override string ToString() => Text ?? Number?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>One device's entry in a site file: parameter values and attributes (an elevator's registration and 96333 rescue codes).</summary>
public sealed record DeviceEntry(IReadOnlyDictionary<string, ParameterValue> Parameters, IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>The device's kind, which says whose parameters it sets (the site file is read before any device is heard of).</summary>
    public string? Kind { get; init; }
}

/// <summary>What a site file sets: parameter values per kind, calendars, and entries per device id.</summary>
public sealed record SiteParameters(
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, ParameterValue>> Kinds,
    IReadOnlyDictionary<string, SeasonCalendar> Calendars,
    IReadOnlyDictionary<string, DeviceEntry> Devices)
{
    public static SiteParameters Empty { get; } = new(
        new Dictionary<string, IReadOnlyDictionary<string, ParameterValue>>(), new Dictionary<string, SeasonCalendar>(), new Dictionary<string, DeviceEntry>());
}

/// <summary>The parameters, attributes and calendars one device's rules see, and its site's time zone (calendars are local dates).</summary>
public sealed record DeviceSettings(
    IReadOnlyDictionary<string, double> Numbers,
    IReadOnlyDictionary<string, string> Texts,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, SeasonCalendar> Calendars,
    TimeZoneInfo Zone)
{
    /// <summary>The elevator attribute with its registration code (使用登记证编号 / 注册代码).</summary>
    public const string RegistrationCode = "registrationCode";

    /// <summary>The elevator attribute with its six-digit 96333 rescue code (救援识别码).</summary>
    public const string RescueCode = "rescueCode";

    /// <summary>No parameters or attributes; the default heating season in China Standard Time (no daylight saving).</summary>
    public static DeviceSettings Default { get; } = new(
        new Dictionary<string, double>(), new Dictionary<string, string>(), new Dictionary<string, string>(),
        new Dictionary<string, SeasonCalendar> { [SeasonCalendar.HeatingSeasonName] = SeasonCalendar.HeatingSeason },
        TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "Asia/Shanghai", "China Standard Time"));

    public double? Number(string name) => Numbers.TryGetValue(name, out var value) ? value : null;

    public string? Attribute(string name) => Attributes.GetValueOrDefault(name);

    /// <summary>Whether <paramref name="now"/> falls in the named calendar at the site; null when the calendar is unknown.</summary>
    public bool? During(string calendar, DateTimeOffset now) =>
        Calendars.TryGetValue(calendar, out var season) ? season.Contains(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime)) : null;
}

/// <summary>
/// A season as local calendar days, from <see cref="From"/> to <see cref="To"/> inclusive, possibly across the new
/// year (heating: 11-15 to 03-15).
/// </summary>
public sealed record SeasonCalendar(int FromMonth, int FromDay, int ToMonth, int ToDay)
{
    public const string HeatingSeasonName = "heatingSeason";

    /// <summary>Beijing's heating season.</summary>
    public static SeasonCalendar HeatingSeason { get; } = new(11, 15, 3, 15);

    public string From => string.Create(CultureInfo.InvariantCulture, $"{FromMonth:00}-{FromDay:00}");

    public string To => string.Create(CultureInfo.InvariantCulture, $"{ToMonth:00}-{ToDay:00}");

    public bool Contains(DateOnly date)
    {
        var day = (date.Month * 100) + date.Day;
        var from = (FromMonth * 100) + FromDay;
        var to = (ToMonth * 100) + ToDay;
        return from <= to ? day >= from && day <= to : day >= from || day <= to;
    }

    /// <summary>Parses <c>{ "from": "MM-dd", "to": "MM-dd" }</c>; the problem says what is wrong.</summary>
    public static (SeasonCalendar? Calendar, string? Problem) Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("from", out var from) || from.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("to", out var to) || to.ValueKind != JsonValueKind.String)
        {
            return (null, "a calendar is { \"from\": \"MM-dd\", \"to\": \"MM-dd\" }");
        }

        if (MonthDay(from.GetString()!) is not { } start)
        {
            return (null, $"'from' must be a month and day as MM-dd, got '{from.GetString()}'");
        }

        return MonthDay(to.GetString()!) is { } end
            ? (new SeasonCalendar(start.Month, start.Day, end.Month, end.Day), null)
            : (null, $"'to' must be a month and day as MM-dd, got '{to.GetString()}'");
    }

    private static (int Month, int Day)? MonthDay(string text) =>
        DateTime.TryParseExact("2024-" + text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? (date.Month, date.Day) : null;
}
