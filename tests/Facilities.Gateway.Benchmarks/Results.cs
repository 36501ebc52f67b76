using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Gateway.Benchmarks.Processes;

namespace Facilities.Gateway.Benchmarks;

/// <summary>What the reference master (reference/rtu_master.c) achieved on the line, and the exchange time it saw.</summary>
internal sealed record ReferenceResult(long Transactions, double Seconds, long Timeouts, long BadFrames, double TransactionsPerSecond, double MeanExchangeMicroseconds);

/// <summary>One measurement of the gateway polling a serial line.</summary>
/// <param name="DeadDevice">The device made silent (comm-offline) as the window opened; null when all are healthy.</param>
/// <param name="Transactions">Completed reads: polls of the healthy devices that succeeded, times the reads of each poll.</param>
/// <param name="DeadDeviceTimeouts">Polls of the dead device in the window, each of which ended in a timeout.</param>
internal sealed record SerialScenarioResult(
    string? DeadDevice, double Seconds, long Transactions, double TransactionsPerSecond, long DeadDeviceTimeouts, long HealthyFailures,
    double GatewayCpu, string LoadAverageStart, string LoadAverageEnd);

/// <param name="ReadSizes">Registers of each read one poll makes, from the gateway's own read plan.</param>
internal sealed record SerialLineResult(
    int Baud, string Parity, int Devices, IReadOnlyList<int> ReadSizes, double PollIntervalSeconds, double TimeoutSeconds,
    ReferenceResult Reference, IReadOnlyList<SerialScenarioResult> Scenarios)
{
    /// <summary>Registers of one read, if every read of the plan has the same size (they do in this benchmark).</summary>
    public int RegistersPerRead => ReadSizes.Distinct().Single();

    public double DeviceTurnaroundSeconds =>
        ModbusPhysics.TurnaroundSeconds(Reference.MeanExchangeMicroseconds / 1e6, RegistersPerRead, Baud);

    /// <summary>The line's limit with the turnaround the reference master measured (never below the bare formula's time).</summary>
    public double LimitPerSecond => ModbusPhysics.LimitPerSecond(RegistersPerRead, Baud, Math.Max(0, DeviceTurnaroundSeconds));

    public double FormulaLimitPerSecond => ModbusPhysics.LimitPerSecond(RegistersPerRead, Baud, 0);
}

internal sealed record SerialResults(string Environment, double WarmupSeconds, double MeasureSeconds, IReadOnlyList<SerialLineResult> Lines);

/// <summary>One device kind of the TCP-at-scale community: what its poll schedule asks for and what was done.</summary>
/// <param name="Schedule">Each poll interval of the profile and the reads due on it, as the gateway's plan makes them.</param>
internal sealed record KindResult(
    string Kind, string Profile, int Devices, string Schedule, double PollsPerSecondAsked, double PollsPerSecond,
    double TransactionsPerSecondAsked, double RegistersPerSecondAsked, double TransactionsPerSecond, double RegistersPerSecond, long Failures);

internal sealed record TcpResults(
    string Environment, int Buses, double WarmupSeconds, double Seconds, IReadOnlyList<KindResult> Kinds,
    double GatewayCpu, double SimulatorCpu, double BrokerCpu, long Published, long GatewayRssKilobytes, string LoadAverageStart, string LoadAverageEnd)
{
    public int Devices => Kinds.Sum(k => k.Devices);

    public double RegistersPerSecond => Kinds.Sum(k => k.RegistersPerSecond);

    public double TransactionsPerSecond => Kinds.Sum(k => k.TransactionsPerSecond);

    public double RegistersPerSecondAsked => Kinds.Sum(k => k.RegistersPerSecondAsked);
}

internal sealed record FootprintResults(
    string Label, string Launch, string Environment, double IntervalSeconds, IReadOnlyList<MemorySample> Samples, double GatewayCpu,
    string LoadAverageStart, string LoadAverageEnd);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SerialResults))]
[JsonSerializable(typeof(TcpResults))]
[JsonSerializable(typeof(FootprintResults))]
[JsonSerializable(typeof(ReferenceResult))]
internal sealed partial class ResultsJsonContext : JsonSerializerContext;

/// <summary>The JSON files that carry results from one command of run.sh to the report.</summary>
internal static class ResultFiles
{
    public static async Task WriteAsync<T>(string path, T results, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, results, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ResultsJsonContext.Default.GetTypeInfo(typeof(T))!, cancellationToken);
    }

    public static async Task<T> ReadAsync<T>(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(file, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ResultsJsonContext.Default.GetTypeInfo(typeof(T))!, cancellationToken)
            ?? throw new InvalidDataException($"{path}: empty");
    }
}
