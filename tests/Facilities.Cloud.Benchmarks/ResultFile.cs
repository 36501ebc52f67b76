using System.Text.Json;

namespace Facilities.Cloud.Benchmarks;

/// <summary>A run's figures as `ingest` leaves them for `report`: when it finished, and each storage variant's result.</summary>
internal sealed record ResultFile(DateTimeOffset When, IReadOnlyList<IngestResult> Results)
{
    public Task WriteAsync(string path, CancellationToken cancellationToken) => ResultJson.WriteAsync(path, this, cancellationToken);

    public static Task<ResultFile> ReadAsync(string path, CancellationToken cancellationToken) => ResultJson.ReadAsync<ResultFile>(path, cancellationToken);
}

/// <summary>How every benchmark command hands its figures to its report command: one indented JSON file.</summary>
internal static class ResultJson
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Task WriteAsync<T>(string path, T value, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(value, Json), cancellationToken);

    public static async Task<T> ReadAsync<T>(string path, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path, cancellationToken), Json)
            ?? throw new InvalidDataException($"{path}: no results");
}
