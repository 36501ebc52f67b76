using System.Collections.Frozen;
using System.Text.Json;

namespace Facilities.Cloud.Pages;

/// <summary>
/// The pages' user-facing text, one JSON resource per language (<c>Pages/Strings/zh-CN.json</c>, <c>en.json</c>),
/// embedded in the assembly. Chinese is the default; English is chosen with the <c>lang</c> cookie.
/// </summary>
internal sealed class PageStrings
{
    public const string DefaultLanguage = "zh-CN";
    public const string LanguageCookie = "lang";

    public static IReadOnlyList<string> Languages { get; } = [DefaultLanguage, "en"];

    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _tables;

    private PageStrings(FrozenDictionary<string, FrozenDictionary<string, string>> tables) => _tables = tables;

    public static PageStrings Load()
    {
        var tables = new Dictionary<string, FrozenDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var language in Languages)
        {
            var resource = $"Facilities.Cloud.Pages.Strings.{language}.json";
            using var stream = typeof(PageStrings).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"page strings: embedded resource {resource} is missing");
            tables[language] = (JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
                ?? throw new InvalidOperationException($"page strings: {resource} is empty")).ToFrozenDictionary(StringComparer.Ordinal);
        }

        var strings = new PageStrings(tables.ToFrozenDictionary(StringComparer.Ordinal));
        if (strings.Mismatches() is { Count: > 0 } missing)
        {
            throw new InvalidOperationException($"page strings: keys missing: {string.Join("; ", missing)}");
        }

        return strings;
    }

    /// <summary>The table of one language (the default for an unknown one).</summary>
    public IReadOnlyDictionary<string, string> Table(string language) => _tables.GetValueOrDefault(language) ?? _tables[DefaultLanguage];

    /// <summary>A string; the key itself when missing, so a gap shows on the page instead of failing it.</summary>
    public string Get(string language, string key) => Table(language).GetValueOrDefault(key) ?? key;

    /// <summary>Keys one language has and another lacks, as <c>en: console.title</c>.</summary>
    public IReadOnlyList<string> Mismatches()
    {
        var all = _tables.Values.SelectMany(t => t.Keys).ToHashSet(StringComparer.Ordinal);
        return [.. _tables.SelectMany(t => all.Where(k => !t.Value.ContainsKey(k)).Select(k => $"{t.Key}: {k}")).Order(StringComparer.Ordinal)];
    }

    /// <summary>The request's language: the <c>lang</c> cookie when it names a known language, else Chinese.</summary>
    public static string LanguageOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cookies.TryGetValue(LanguageCookie, out var value) && Languages.Contains(value, StringComparer.Ordinal) ? value! : DefaultLanguage;
    }
}
