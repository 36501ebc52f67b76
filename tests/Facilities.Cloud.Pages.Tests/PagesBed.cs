using System.Text.Json;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Facilities.Cloud.Pages.Tests.PagesBed))]

namespace Facilities.Cloud.Pages.Tests;

/// <summary>
/// What the browser tests run against, once for all of them: InfluxDB 1.6 for history; firmware-sim (two elevators, a 12-port charger shed, an
/// AED cabinet) polled by the real gateway over Modbus TCP, publishing through Mosquitto to the whole cloud; and
/// Debian's Chromium driven by Playwright (never a downloaded browser). Users: the host's admin, an engineer and a crew member.
/// </summary>
public sealed class PagesBed : IAsyncLifetime
{
    public const string Site = "estate";
    public const string Shed = "shed";
    public const string Engineer = "eng-wang";
    public const string Crew = "crew-zhao";
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string _directory = Directory.CreateTempSubdirectory("pages-e2e-").FullName;
    private MosquittoBroker? _broker;
    private InfluxServer? _influx;
    private GatewayRuntime? _gateway;
    private IPlaywright? _playwright;

    public CloudHost Cloud { get; private set; } = null!;

    public CommunityHost Community { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public ChargerShedModel ShedModel => Community.Devices.OfType<ChargerShedModel>().Single();

    /// <summary>Where screenshots go when <c>FACILITIES_SCREENSHOTS</c> names a directory (docs/pages.md); null otherwise.</summary>
    public static string? ScreenshotDirectory => Environment.GetEnvironmentVariable("FACILITIES_SCREENSHOTS") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    public static string PasswordOf(string user) => user == CloudHost.AdminName ? CloudHost.AdminPassword : $"{user}-password";

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} not found: apt-get install chromium");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        _broker = await MosquittoBroker.StartAsync(ct);
        _influx = await InfluxServer.StartAsync(ct);
        await _influx.CreateDatabaseAsync("facilities", ct);
        Cloud = await CloudHost.StartAsync(_broker.Port, ct, new Dictionary<string, string?>
        {
            ["Influx:Url"] = _influx.Url,
            ["Influx:Database"] = "facilities",
            ["Influx:FlushInterval"] = "00:00:00.500",
            ["Identity:SeedUsers:1:Name"] = Engineer,
            ["Identity:SeedUsers:1:Role"] = "engineer",
            ["Identity:SeedUsers:1:Password"] = PasswordOf(Engineer),
            ["Identity:SeedUsers:2:Name"] = Crew,
            ["Identity:SeedUsers:2:Role"] = "crew",
            ["Identity:SeedUsers:2:Password"] = PasswordOf(Crew),
            ["WorkOrders:Teams:elevator:estate"] = "李明",
            ["Pages:LiveInterval"] = "00:00:00.500",
            // Every browser test signs in from 127.0.0.1; on a fast machine they pass the default 20 a minute, and the
            // 21st would be refused (429) until the minute ends. The limit itself is tested in SignInTests.
            ["Identity:SignInPerClientPerMinute"] = "1000",
        });
        Community = await CommunityHost.StartAsync(CommunityFile(), TimeProvider.System, NullLogger.Instance, ct);
        _gateway = GatewayRuntime.Start(Gateway(Community), new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 },
            new MqttOptions { Port = _broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        await Eventually.HoldsAsync(async () => await Cloud.CountAsync("SELECT COUNT(*) FROM devices WHERE state = 'online'") == 4,
            "four devices online in the cloud", TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(200));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
    }

    /// <summary>A fresh browser context (own cookies) at a viewport size; signed in as <paramref name="user"/> when given.</summary>
    public async Task<IPage> OpenAsync(string? user = null, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Cloud.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            DeviceScaleFactor = 1,
            TimezoneId = "Asia/Shanghai",
        });
        // Generous: on a loaded CI machine signing in (password hashing) and the first render can take many seconds.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        if (user is not null)
        {
            await page.GotoAsync("/sign-in");
            await page.FillAsync("input[name=name]", user);
            await page.FillAsync("input[name=password]", PasswordOf(user));
            await page.ClickAsync("button[type=submit]");
            // Signing in is what SignInTests check; here it only opens the page under test. The redirect is waited for
            // until it is committed (the test then waits for its own content), and should it not come, the failure
            // says what the sign-in page shows.
            try
            {
                await page.WaitForURLAsync(url => !url.Contains("/sign-in", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
            }
            catch (TimeoutException error)
            {
                var shown = await page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 }).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "(unreadable)", TaskScheduler.Default);
                throw new TimeoutException($"signing in as {user} did not leave {page.Url} within 60 s; the page shows: {shown}", error);
            }
        }

        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>docs/screenshots/{name}.png</c> when screenshots are asked for.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (ScreenshotDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
        }
    }

    private static CommunityFile CommunityFile() => new()
    {
        Name = "pages-e2e",
        Sites = [new SiteEntry { Id = Site, Buildings = [new BuildingEntry { Id = "b01" }, new BuildingEntry { Id = "grounds" }] }],
        Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
        Devices =
        [
            new DeviceEntry { Id = "lift", Kind = "elevator", Site = Site, Building = "b01", Bus = "tcp", Unit = 1, Count = 2 },
            new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = Site, Building = "b01", Bus = "tcp", Unit = 5, Count = 1 },
            new DeviceEntry
            {
                // No residents of its own: the test decides when a port is taken.
                Id = Shed, Kind = "charger-shed", Site = Site, Building = "grounds", Bus = "tcp", Unit = 10, Count = 1,
                Options = JsonDocument.Parse("""{ "ports": 12, "demand": 0 }""").RootElement,
            },
        ],
    };

    private LoadedSite Gateway(CommunityHost community)
    {
        var endpoint = community.Buses.Single().Endpoint.Split(':');
        var json = JsonSerializer.Serialize(new
        {
            site = Site,
            gateway = "gw-pages",
            buses = new object[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture) } },
            devices = new object[]
            {
                new { id = "lift", bus = "tcp", unit = 1, count = 2, profile = "facilities-sim-elevator", building = "b01" },
                new { id = "aed", bus = "tcp", unit = 5, count = 1, profile = "facilities-sim-aed-cabinet", building = "b01" },
                new { id = Shed, bus = "tcp", unit = 10, count = 1, profile = "facilities-sim-charger-shed-12", building = "grounds" },
            },
        });
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, json);
        return SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (Community is not null)
        {
            await Community.DisposeAsync();
        }

        if (Cloud is not null)
        {
            await Cloud.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        if (_influx is not null)
        {
            await _influx.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
