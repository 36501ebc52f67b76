using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Facilities.Cloud.Access;
using Facilities.Cloud.Notifications;

namespace Facilities.Cloud.Pages;

/// <summary>What one page needs: its name (script and template), title string key, and values for the template.</summary>
internal sealed record PageRequest(string Name, string TitleKey, IReadOnlyDictionary<string, string>? Values = null, string? Script = null);

/// <summary>
/// Writes a page: the shared header (navigation for the user's role, language switch, sign-in state), the page's
/// template with <c>{{key}}</c> replaced by the language's string and <c>{{=name}}</c> by a value (both HTML-encoded),
/// and the data its script needs inline (strings, site time zones, the user), so a page is one request plus cached assets.
/// </summary>
internal static partial class PageShell
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IResult Render(HttpContext context, PageRequest page, int status = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Results.Text(Build(context, page), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static Task WriteForbiddenAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Build(context, new PageRequest("forbidden", "forbidden.title")), context.RequestAborted);
    }

    public static string Build(HttpContext context, PageRequest page)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(page);
        var services = context.RequestServices;
        var strings = services.GetRequiredService<PageStrings>();
        var assets = services.GetRequiredService<PageAssets>();
        var notifications = services.GetRequiredService<NotificationOptions>();
        var language = PageStrings.LanguageOf(context.Request);
        var user = context.User.Identity is { IsAuthenticated: true } identity
            ? new { name = identity.Name, role = context.User.FindFirst(AccessAuthenticationHandler.RoleClaim)?.Value }
            : null;
        string T(string key) => WebUtility.HtmlEncode(strings.Get(language, key));

        var body = Placeholder().Replace(assets.Template(page.Name), m => m.Groups["value"].Success
            ? WebUtility.HtmlEncode(page.Values?.GetValueOrDefault(m.Groups["value"].Value) ?? string.Empty)
            : T(m.Groups["key"].Value));
        var here = context.Request.Path + context.Request.QueryString;
        var role = user?.role;
        var nav = new StringBuilder();
        void Link(string href, string key)
        {
            var current = context.Request.Path.StartsWithSegments(href) ? " aria-current=\"page\"" : string.Empty;
            nav.Append(CultureInvariant($"<a href=\"{href}\"{current}>{T(key)}</a>"));
        }

        Link("/chargers", "nav.chargers");
        if (role is Roles.Crew or Roles.Engineer or Roles.Admin)
        {
            Link("/console", "nav.console");
            Link("/elevators", "nav.elevators");
        }

        if (role is Roles.Admin)
        {
            Link("/admin/users", "nav.users");
        }

        var other = language == PageStrings.DefaultLanguage ? "en" : PageStrings.DefaultLanguage;
        var languageLink = $"<a class=\"lang\" href=\"/language/{other}?returnUrl={WebUtility.UrlEncode(here)}\" lang=\"{other}\">{T("nav.other-language")}</a>";
        var account = user is null
            ? $"<a href=\"/sign-in?returnUrl={WebUtility.UrlEncode(here)}\">{T("nav.sign-in")}</a>"
            : $"<span class=\"who\">{WebUtility.HtmlEncode(user.name)} · {T("role." + user.role)}</span>"
              + $"<form method=\"post\" action=\"/sign-out\"><button type=\"submit\" class=\"link\">{T("nav.sign-out")}</button></form>";
        var data = JsonSerializer.Serialize(new
        {
            lang = language,
            page = page.Name,
            user,
            strings = strings.Table(language),
            zones = new { defaultZone = notifications.TimeZone, sites = notifications.SiteTimeZones },
            values = page.Values,
        }, Json);
        var script = page.Script is null ? string.Empty : $"<script src=\"{assets.Url(page.Script)}\" defer></script>";
        return $"""
            <!doctype html>
            <html lang="{language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light">
            <title>{T(page.TitleKey)} · {T("app.name")}</title>
            <link rel="stylesheet" href="{assets.Url("app.css")}">
            </head>
            <body data-page="{page.Name}">
            <header class="top">
            <a class="brand" href="/">{T("app.name")}</a>
            <nav>{nav}</nav>
            <div class="account">{languageLink}{account}</div>
            </header>
            <main>
            {body}
            </main>
            <script type="application/json" id="page-data">{data}</script>
            <script src="{assets.Url("common.js")}" defer></script>
            {script}
            </body>
            </html>
            """;
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    [GeneratedRegex(@"\{\{(?:=(?<value>[a-zA-Z0-9_.-]+)|(?<key>[a-zA-Z0-9_.-]+))\}\}")]
    private static partial Regex Placeholder();
}
