using System.Text.RegularExpressions;
using Facilities.Cloud.Pages;

namespace Facilities.Cloud.Tests.Access;

/// <summary>Every string a page or script asks for exists in both languages.</summary>
public sealed partial class PageStringsTests
{
    [Fact]
    public void Languages_HaveTheSameKeys()
    {
        Assert.Empty(PageStrings.Load().Mismatches());
    }

    [Fact]
    public void EveryKeyUsedByTemplatesAndScripts_IsDefined()
    {
        var strings = PageStrings.Load();
        var assets = PageAssets.Load();
        var defined = strings.Table("en").Keys.ToHashSet(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var template in assets.TemplateNames)
        {
            used.UnionWith(TemplateKey().Matches(assets.Template(template)).Select(m => m.Groups[1].Value));
        }

        foreach (var script in assets.Names.Where(n => n.EndsWith(".js", StringComparison.Ordinal)))
        {
            used.UnionWith(ScriptKey().Matches(System.Text.Encoding.UTF8.GetString(assets.Find(script)!.Content)).Select(m => m.Groups[1].Value));
        }

        Assert.True(used.Count > 10, $"only {used.Count} keys found in use");
        Assert.Equal([], used.Where(k => !defined.Contains(k)).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"\{\{([a-z][a-zA-Z0-9_.-]*)\}\}")]
    private static partial Regex TemplateKey();

    [GeneratedRegex(@"\bt\(""([a-z][a-zA-Z0-9_.-]*[a-zA-Z0-9_-])""")]
    private static partial Regex ScriptKey();
}
