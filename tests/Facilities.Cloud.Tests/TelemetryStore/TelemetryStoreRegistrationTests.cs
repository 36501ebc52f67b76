using System.Collections.Concurrent;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Facilities.Cloud.Tests.TelemetryStore;

public sealed class TelemetryStoreRegistrationTests
{
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    private static (ServiceProvider Services, ConcurrentQueue<string> Log) Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        var log = new ConcurrentQueue<string>();
        var services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(new RecordingLoggerProvider(log)))
            .AddSingleton(TimeProvider.System)
            .AddTelemetryStore(configuration)
            .BuildServiceProvider();
        return (services, log);
    }

    [Fact]
    public async Task NoUrl_RegistersNoSink_AndSaysSoOnceAtStart()
    {
        var (services, log) = Build();
        await using var _ = services;
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(_cancellation);
        }

        Assert.Empty(services.GetServices<ICommittedMessageSink>());
        Assert.False(services.GetRequiredService<TelemetryStoreMetrics>().Snapshot().Enabled);
        Assert.Single(log, l => l.StartsWith("no InfluxDB configured: telemetry history is not stored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Url_RegistersTheWriterAsSinkAndHostedService()
    {
        var (services, _) = Build(("Influx:Url", "http://127.0.0.1:8086"), ("Influx:Database", "facilities"), ("Influx:FlushInterval", "00:00:00.250"));
        await using var __ = services;

        var writer = Assert.IsType<InfluxWriter>(Assert.Single(services.GetServices<ICommittedMessageSink>()));
        Assert.Same(writer, Assert.Single(services.GetServices<IHostedService>()));
        Assert.Equal(TimeSpan.FromMilliseconds(250), services.GetRequiredService<InfluxOptions>().FlushInterval);
        Assert.True(services.GetRequiredService<TelemetryStoreMetrics>().Snapshot().Enabled);
    }

    [Theory]
    [InlineData("1", "", "", "Database is required for Version 1")]
    [InlineData("2", "", "", "Org is required for Version 2")]
    [InlineData("2", "acme", "", "Bucket is required for Version 2")]
    [InlineData("3", "", "", "Version 3 is not supported")]
    public void InvalidSection_FailsNamingTheSectionAndTheProblem(string version, string org, string database, string problem)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Build(("Influx:Url", "http://127.0.0.1:8086"), ("Influx:Version", version), ("Influx:Org", org), ("Influx:Database", database)));
        Assert.StartsWith("configuration section 'Influx': ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_ToString_LeavesSecretsOut()
    {
        var options = new InfluxOptions { Url = "http://influx:8086", Version = 2, Org = "o", Bucket = "b", Token = "s3cr3t" };
        Assert.DoesNotContain("s3cr3t", options.ToString(), StringComparison.Ordinal);
    }
}
