using System.Text.Json;

namespace Facilities.Cloud.Benchmarks;

/// <summary>A run's figures as `ingest` leaves them for `report`: when it finished, and each storage variant's result.</summary>
internal sealed record ResultFile(DateTimeOffset When, IReadOnlyList<IngestResult> Results)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public Task WriteAsync(string path, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(this, Json), cancellationToken);

    public static async Task<ResultFile> ReadAsync(string path, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<ResultFile>(await File.ReadAllTextAsync(path, cancellationToken), Json)
            ?? throw new InvalidDataException($"{path}: no results");
}
