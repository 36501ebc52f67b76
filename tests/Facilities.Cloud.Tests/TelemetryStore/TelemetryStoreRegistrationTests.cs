using System.Collections.Concurrent;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
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
            .AddSingleton(CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("cloud-sqlite-").FullName, "cloud.db")}" }))
            .AddTelemetryStore(configuration)
            .BuildServiceProvider();
        return (services, log);
    }

    [Fact]
    public async Task NoUrl_RecordsNothing_AndSaysSoOnceAtStart()
    {
        var (services, log) = Build();
        await using var _ = services;
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(_cancellation);
        }

        Assert.Empty(services.GetServices<IMessageHandler>());
        Assert.Null(services.GetService<HistoryOutboxStore>());
        Assert.Empty(services.GetServices<IHealthConcern>());
        Assert.False(services.GetRequiredService<TelemetryStoreMetrics>().Snapshot().Enabled);
        Assert.Single(log, l => l.StartsWith("no InfluxDB configured: telemetry history is not stored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Url_RegistersTheRecorderAsHandler_AndTheDrainerAsHostedService()
    {
        var (services, _) = Build(("Influx:Url", "http://127.0.0.1:8086"), ("Influx:Database", "facilities"), ("Influx:MaxBacklogBytes", "1048576"));
        await using var __ = services;

        Assert.IsType<HistoryRecorder>(Assert.Single(services.GetServices<IMessageHandler>()));
        Assert.Same(services.GetRequiredService<HistoryDrainer>(), Assert.Single(services.GetServices<IHostedService>()));
        Assert.IsType<HistoryHealth>(Assert.Single(services.GetServices<IHealthConcern>()));
        Assert.Equal(1_048_576, services.GetRequiredService<InfluxOptions>().MaxBacklogBytes);
        Assert.Equal(1L << 30, new InfluxOptions().MaxBacklogBytes);
        Assert.True(services.GetRequiredService<TelemetryStoreMetrics>().Snapshot().Enabled);
    }

    [Fact]
    public void LeaseNotLongerThanARequest_FailsNamingBothKeys()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Build(("Influx:Url", "http://127.0.0.1:8086"), ("Influx:Database", "facilities"), ("Influx:LeaseTime", "00:00:10"), ("Influx:MaxBacklogBytes", "0")));
        Assert.Contains("LeaseTime 00:00:10 must be longer than RequestTimeout 00:00:30", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBacklogBytes must be positive, got 0", error.Message, StringComparison.Ordinal);
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
