using Facilities.Gateway;
using Facilities.Gateway.Profiles;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--site"] = "Gateway:SiteFile", ["--data"] = "Gateway:DataDirectory" });
builder.Services.AddSystemd();

// Refuse to start on a broken configuration: every problem, with file, JSON path and reason, on stderr.
var siteFile = Path.GetFullPath(builder.Configuration["Gateway:SiteFile"] ?? "site.json", builder.Environment.ContentRootPath);
LoadedSite site;
try
{
    site = SiteLoader.Load(siteFile, Path.Combine(AppContext.BaseDirectory, "profiles"));
}
catch (ConfigurationFileException e)
{
    Console.Error.WriteLine("facilities-gateway: the configuration is invalid; not starting.");
    Console.Error.WriteLine(e.Message);
    return 2;
}

GatewayOptions gateway;
MqttOptions mqtt;
try
{
    gateway = builder.Configuration.GetSection("Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
    mqtt = builder.Configuration.GetSection("Mqtt").Get<MqttOptions>() ?? new MqttOptions();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"facilities-gateway: appsettings: {e.Message}");
    return 2;
}

if (mqtt.Port is < 1 or > 65535 || string.IsNullOrWhiteSpace(mqtt.Host))
{
    Console.Error.WriteLine($"facilities-gateway: appsettings: Mqtt:Host/Port '{mqtt.Host}:{mqtt.Port}' is not a broker address");
    return 2;
}

builder.Services.AddSingleton(site);
builder.Services.AddSingleton(gateway with { DataDirectory = Path.GetFullPath(gateway.DataDirectory, builder.Environment.ContentRootPath) });
builder.Services.AddSingleton(mqtt);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHostedService<GatewayWorker>();
await builder.Build().RunAsync();
return 0;
