using System.Net.Http.Json;
using System.Text.Json;

namespace Facilities.Demo.Tests;

/// <summary>
/// The demo exactly as `facilities-demo` composes it, on free ports with its files in a temporary folder, and clients
/// for the cloud's API and the simulator's control API (what `facilities-sim inject` talks to).
/// </summary>
public sealed class DemoUnderTest : IAsyncDisposable
{
    private readonly string _directory;

    private DemoUnderTest(DemoEstate demo, string directory)
    {
        Demo = demo;
        _directory = directory;
        Cloud = new HttpClient { BaseAddress = new Uri(demo.CloudUrl) };
        Cloud.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", demo.EngineerToken);
        Simulator = new HttpClient { BaseAddress = new Uri(demo.SimulatorUrl) };
    }

    /// <summary>How often the demo tests probe the cloud's API for what they wait for (more often only loads the machine).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public DemoEstate Demo { get; }

    public HttpClient Cloud { get; }

    public HttpClient Simulator { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A client signed in through the sign-in page as one of the demo's users (a session cookie, as a browser).</summary>
    public async Task<HttpClient> SignedInAsync(DemoSignIn user)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = Cloud.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Origin", Cloud.BaseAddress!.GetLeftPart(UriPartial.Authority)); // as a browser sends on every POST
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = user.Name, ["password"] = user.Password });
        using var response = await client.PostAsync("/sign-in", form, Ct);
        Assert.True(response.StatusCode is System.Net.HttpStatusCode.Found or System.Net.HttpStatusCode.SeeOther, $"signing in as {user.Name}: {(int)response.StatusCode}");
        return client;
    }

    /// <summary>The demo's own options with every port free and its files under a temporary folder.</summary>
    public static DemoOptions Options(string directory) => new()
    {
        WebPort = 0,
        MqttPort = 0,
        SimPort = 0,
        WebhookPort = 0,
        ModbusPort = 0,
        SerialDirectory = Path.Combine(directory, "serial"),
        DataDirectory = Path.Combine(directory, "data"),
    };

    public static async Task<DemoUnderTest> StartAsync(Func<DemoOptions, DemoOptions>? adjust = null)
    {
        var directory = Directory.CreateTempSubdirectory("demo-test-").FullName;
        var options = Options(directory);
        var demo = await DemoEstate.StartAsync(adjust is null ? options : adjust(options), TextWriter.Null, CancellationToken.None);
        return new DemoUnderTest(demo, directory);
    }

    public Task WaitUntilEveryDeviceIsOnlineAsync() =>
        Eventually.HoldsAsync(async () => await Demo.DevicesOnlineAsync(Ct) == Demo.DeviceCount, $"all {Demo.DeviceCount} devices online in the cloud", TimeSpan.FromSeconds(90), Ct, PollInterval);

    public async Task<JsonElement> GetAsync(string path) =>
        JsonDocument.Parse(await Cloud.GetStringAsync(path, Ct)).RootElement.Clone();

    /// <summary>A fault injected the way the README shows: through the simulator's control API.</summary>
    public async Task InjectAsync(string device, string fault)
    {
        using var response = await Simulator.PostAsync($"/devices/{device}/faults/{fault}", null, Ct);
        response.EnsureSuccessStatusCode();
    }

    public async Task<double> SimulatedValueAsync(string device, string point)
    {
        var view = await Simulator.GetFromJsonAsync<JsonElement>($"/devices/{device}", Ct);
        return view.GetProperty("values").GetProperty(point).GetDouble();
    }

    /// <summary>The alerts of a rule on a device, in any state.</summary>
    public async Task<List<JsonElement>> AlertsAsync(string ruleId, string device)
    {
        var alerts = await GetAsync("/api/alerts?state=all");
        return [.. alerts.EnumerateArray().Where(a => a.GetProperty("ruleId").GetString() == ruleId && a.GetProperty("device").GetString() == device)];
    }

    public async Task<JsonElement> FiringAlertAsync(string ruleId, string device, TimeSpan limit)
    {
        var alert = await Eventually.FoundAsync<JsonElement?>(
            async () => (await AlertsAsync(ruleId, device)).Cast<JsonElement?>().FirstOrDefault(a => a!.Value.GetProperty("state").GetString() == "firing"),
            $"{ruleId} firing on {device}",
            limit, Ct, PollInterval);
        return alert!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        Cloud.Dispose();
        Simulator.Dispose();
        await Demo.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
