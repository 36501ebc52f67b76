using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Facilities.Cloud.Pages;

/// <summary>One embedded file: its bytes, content type and a short content hash used as version and ETag.</summary>
internal sealed record PageAsset(string Name, byte[] Content, string ContentType, string Version);

/// <summary>
/// The pages' stylesheet, scripts and HTML templates, embedded in the assembly (no build step, no CDN: everything a
/// phone needs comes from this host). Assets are served with their content hash in the URL, cached for a year.
/// </summary>
internal sealed class PageAssets
{
    private const string AssetPrefix = "Facilities.Cloud.Pages.Assets.";
    private const string TemplatePrefix = "Facilities.Cloud.Pages.Templates.";

    private readonly FrozenDictionary<string, PageAsset> _assets;
    private readonly FrozenDictionary<string, string> _templates;

    private PageAssets(FrozenDictionary<string, PageAsset> assets, FrozenDictionary<string, string> templates)
    {
        _assets = assets;
        _templates = templates;
    }

    public static PageAssets Load()
    {
        var assembly = typeof(PageAssets).Assembly;
        var assets = new Dictionary<string, PageAsset>(StringComparer.Ordinal);
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            if (resource.StartsWith(AssetPrefix, StringComparison.Ordinal))
            {
                var name = resource[AssetPrefix.Length..];
                var type = Path.GetExtension(name) switch
                {
                    ".css" => "text/css; charset=utf-8",
                    ".js" => "text/javascript; charset=utf-8",
                    ".svg" => "image/svg+xml",
                    _ => "application/octet-stream",
                };
                assets[name] = new PageAsset(name, content, type, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
            }
            else if (resource.StartsWith(TemplatePrefix, StringComparison.Ordinal))
            {
                templates[Path.GetFileNameWithoutExtension(resource[TemplatePrefix.Length..])] = System.Text.Encoding.UTF8.GetString(content);
            }
        }

        return new PageAssets(assets.ToFrozenDictionary(StringComparer.Ordinal), templates.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public PageAsset? Find(string name) => _assets.GetValueOrDefault(name);

    /// <summary>The URL of an asset with its version, e.g. <c>/assets/app.css?v=1a2b3c4d5e6f</c>.</summary>
    public string Url(string name) => _assets.TryGetValue(name, out var asset)
        ? $"/assets/{name}?v={asset.Version}"
        : throw new InvalidOperationException($"page asset '{name}' is not embedded");

    public string Template(string name) => _templates.TryGetValue(name, out var template)
        ? template
        : throw new InvalidOperationException($"page template '{name}' is not embedded");

    public IEnumerable<string> TemplateNames => _templates.Keys;

    public IEnumerable<string> Names => _assets.Keys;
}
