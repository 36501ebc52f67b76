using Dapper;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>
/// One "cloud instance" without its MQTT client: the real pipeline, registry, rules and alert engine over a real
/// database, with a hand-moved clock. Two harnesses on one database behave as two instances.
/// </summary>
public sealed class AlertHarness
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    public AlertHarness(CloudDatabase database, ManualClock clock, RulesOptions? options = null, MaintenanceSchedule? maintenance = null, IEnumerable<IAlertTransitionObserver>? observers = null, RuleSet? rules = null)
    {
        Database = database;
        Clock = clock;
        var rulesOptions = options ?? new RulesOptions();
        Store = new AlertStore(database, new AlertLifecycle(new FlapPolicy(rulesOptions.FlapCount, rulesOptions.FlapWindow, rulesOptions.FlapHold)), observers ?? [], NullLogger<AlertStore>.Instance);
        Engine = new AlertEngine(rules ?? DefaultRules(), rulesOptions, maintenance ?? new MaintenanceSchedule(), Store);
        Pipeline = new IngestPipeline(database, [new DeviceRegistry(), Engine], Metrics, clock, NullLogger<IngestPipeline>.Instance);
        DueWork = new DueWorker(database, Engine, rulesOptions, clock, NullLogger<DueWorker>.Instance);
    }

    /// <summary>The shipped rule set with its parameters (a boiler's heating system, …), as the cloud loads it.</summary>
    public static RuleSet DefaultRules() => RuleFiles.Load(new RulesOptions { File = Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json") }, AppContext.BaseDirectory);

    public CloudDatabase Database { get; }

    public ManualClock Clock { get; }

    public AlertStore Store { get; }

    public AlertEngine Engine { get; }

    public IngestPipeline Pipeline { get; }

    public DueWorker DueWork { get; }

    public IngestMetrics Metrics { get; } = new();

    public Task<IngestOutcome[]> SendAsync(params RawMessage[] messages) => Pipeline.ProcessAsync(messages, TestContext.Current.CancellationToken);

    public async Task<List<AlertRow>> AlertsAsync(string? ruleId = null)
    {
        await using var connection = await Database.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<AlertRow>("SELECT * FROM alerts WHERE (@ruleId IS NULL OR rule_id = @ruleId) ORDER BY id", new { ruleId })];
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync(TestContext.Current.CancellationToken);
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException($"no result: {sql}");
    }
}
