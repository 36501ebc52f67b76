using Facilities.Cloud.Access;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Operations;
using Facilities.Cloud.Pages;
using Facilities.Cloud.ReadModels;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;
using Facilities.Cloud.WorkOrders;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Facilities.Cloud.Http;

namespace Facilities.Cloud;

/// <summary>
/// Composes the cloud: storage, ingestion, and the web API. <see cref="Program"/> runs it; tests build it with their
/// own configuration (a database per test, brokers on free ports) and run it in-process.
/// </summary>
public static class CloudApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        var configuration = builder.Configuration;
        var services = builder.Services;

        services.TryAddSingleton(TimeProvider.System); // tests register a controllable clock first
        var database = CloudDatabase.Create(Settings.Bind<StorageOptions>(configuration, "Storage"));
        services.AddSingleton(database);
        services.AddHostedService<SchemaMigrator>();
        services.AddAccess(configuration); // after the migrator: its seeder writes users
        services.AddPages(configuration);
        services.AddEmbeddedBroker(configuration);

        var mqtt = Settings.Bind<CloudMqttOptions>(configuration, "Mqtt", o => o.Validate());

        if (string.IsNullOrEmpty(mqtt.Host))
        {
            // The embedded broker (Broker/, docs/cloud-broker.md) means one box and one cloud instance, and MQTTnet's
            // server refuses `$share/` filters (SharedSubscriptionsNotSupported): subscribe without sharing there.
            mqtt = EmbeddedBroker.ConnectLocalConsumer(mqtt with { SharedGroup = string.Empty }, configuration);
        }

        services.AddSingleton(mqtt);
        var ingestion = Settings.Bind<IngestionOptions>(configuration, "Ingestion", o => o.Validate());

        services.AddSingleton(ingestion);
        services.AddSingleton<IngestionHealth>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<DeviceRegistry>();

        // Alerts: the engine evaluates in the ingest transaction (after the device registry) and on a timer; every
        // transition goes through the store, which tells the observers (notifications, work orders) in that transaction.
        var rules = Settings.Bind<RulesOptions>(configuration, "Rules");
        services.AddSingleton(rules);
        services.AddSingleton(RuleFiles.Load(rules, AppContext.BaseDirectory));
        services.AddSingleton(Settings.Bind<MaintenanceSchedule>(configuration, "Maintenance"));
        services.AddSingleton(new AlertLifecycle(new FlapPolicy(rules.FlapCount, rules.FlapWindow, rules.FlapHold)));
        services.AddSingleton<AlertStore>();
        services.AddSingleton<AlertEngine>();
        services.AddSingleton<DueWorker>();
        services.AddHostedService(s => s.GetRequiredService<DueWorker>());
        services.AddNotifications(configuration);
        services.AddWorkOrders(configuration);
        services.AddReadModels(configuration);

        // The ingest pipeline's stages, in this order in every batch transaction: the device registry folds the batch into
        // device and gateway state (its DeviceBatch); rules and alerts evaluate that state (DeviceRegistry.BatchOf); the
        // day counters count what the messages report; with InfluxDB configured, AddTelemetryStore adds the history recorder
        // last (the batch's line protocol into the history outbox, same transaction).
        services.AddSingleton<IMessageHandler>(s => s.GetRequiredService<DeviceRegistry>());
        services.AddSingleton<IMessageHandler>(s => s.GetRequiredService<AlertEngine>());
        services.AddSingleton<IMessageHandler>(s => s.GetRequiredService<CounterDays>());
        services.AddSingleton<IngestPipeline>();
        services.AddTelemetryStore(configuration);
        services.AddSingleton<MqttIngestor>();
        services.AddHostedService(s => s.GetRequiredService<MqttIngestor>());
        var retention = Settings.Bind<RetentionOptions>(configuration, "Retention", o => o.Validate());

        services.AddSingleton(retention);
        services.AddHostedService<RetentionJob>();
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            services.AddHostedService<SqliteCheckpointer>();
        }


        // A non-finite number (a NaN or an infinity stored before ingestion refused them) is written as null: the JSON
        // writer would throw on it and fail the whole response.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new FiniteOrNullConverter()));
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ExplainStatus);
        services.Configure<ExceptionHandlerOptions>(handler =>
            // A body cut off at its limit, or a malformed request, is the client's fault: its own status, never 500.
            handler.StatusCodeSelector = error => error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        services.AddOpenApi();

        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestBodyLimits();
        app.UseAuthentication();
        app.UseSameOriginGuard();
        app.UseRateLimiter();
        app.UseAuthorization();

        // Every endpoint names a policy (Access/Roles.cs) or AllowAnonymous; a test fails on one that does neither.
        app.MapOpenApi().RequireAuthorization(Policies.Engineer); // GET /openapi/v1.json
        app.MapAccessEndpoints();
        app.MapSignIn();
        app.MapAlertEndpoints();
        app.MapWorkOrderEndpoints();
        app.MapChargerEndpoints().AllowAnonymous(); // residents' charger availability: public, nothing personal
        app.MapElevatorEndpoints().RequireAuthorization(Policies.Crew);
        app.MapElevatorHistoryEndpoints();
        app.MapIngestionEndpoints();
        app.MapMetrics();
        app.MapOverviewEndpoints();
        app.MapLiveEndpoints();
        app.MapPages();
        app.MapHealth();
        return app;
    }

    /// <summary>Problem details written for a bare status code (no endpoint, a method not allowed, a body over its limit) say why.</summary>
    private static void ExplainStatus(ProblemDetailsContext problem)
    {
        var http = problem.HttpContext;
        problem.ProblemDetails.Detail ??= problem.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => $"there is nothing at {http.Request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}",
            StatusCodes.Status413PayloadTooLarge when http.Items[RequestBodyLimit.ItemKey] is long limit => RequestBodyLimiter.Detail(http.Request.Path, limit),
            StatusCodes.Status415UnsupportedMediaType => $"{http.Request.Path} does not take a body of type '{http.Request.ContentType}'",
            _ => null,
        };
    }
}

/// <summary>Brings the schema up to date before the other services start (hosted services start in order).</summary>
internal sealed partial class SchemaMigrator(CloudDatabase database, ILogger<SchemaMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await Migrations.ApplyAsync(database, Schema.All, cancellationToken);
        LogMigrated(logger, database.Provider, applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Database {Provider}: schema up to date ({Applied} steps applied)")]
    private static partial void LogMigrated(ILogger logger, DatabaseProvider provider, int applied);
}
