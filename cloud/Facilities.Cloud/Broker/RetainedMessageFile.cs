using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Broker;

/// <summary>A retained message as kept on disk (payload in base64).</summary>
internal sealed record RetainedMessageRecord(
    string Topic,
    byte[] Payload,
    MqttQualityOfServiceLevel Qos,
    string? ContentType = null,
    MqttPayloadFormatIndicator PayloadFormat = MqttPayloadFormatIndicator.Unspecified)
{
    public static RetainedMessageRecord From(MqttApplicationMessage message) =>
        new(message.Topic, message.Payload.ToArray(), message.QualityOfServiceLevel, message.ContentType, message.PayloadFormatIndicator);

    public MqttApplicationMessage ToMessage() => new MqttApplicationMessageBuilder()
        .WithTopic(Topic)
        .WithPayload(Payload)
        .WithQualityOfServiceLevel(Qos)
        .WithContentType(ContentType)
        .WithPayloadFormatIndicator(PayloadFormat)
        .WithRetainFlag()
        .Build();
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<RetainedMessageRecord>))]
internal sealed partial class RetainedMessageJsonContext : JsonSerializerContext;

/// <summary>
/// The broker's retained messages (gateway status, device state) in one JSON file, so they survive a restart. Each
/// save writes a new file and renames it over the old one, so a crash leaves either the old or the new set.
/// </summary>
internal sealed class RetainedMessageFile(string directory)
{
    public string Path { get; } = System.IO.Path.Combine(directory, "retained.json");

    /// <summary>The stored messages; none when there is no file yet. A file that cannot be read throws <see cref="JsonException"/>.</summary>
    public async Task<List<MqttApplicationMessage>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        await using var stream = File.OpenRead(Path);
        var records = await JsonSerializer.DeserializeAsync(stream, RetainedMessageJsonContext.Default.ListRetainedMessageRecord, cancellationToken);
        return records?.Where(r => !string.IsNullOrEmpty(r.Topic)).Select(r => r.ToMessage()).ToList() ?? [];
    }

    /// <summary>Moves an unreadable file aside (kept for inspection) so the broker can start without it.</summary>
    public string MoveAside()
    {
        var aside = $"{Path}.unreadable-{DateTime.UtcNow:yyyyMMddHHmmss}";
        File.Move(Path, aside, overwrite: true);
        return aside;
    }

    public async Task SaveAsync(IEnumerable<MqttApplicationMessage> messages, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var records = messages.Select(RetainedMessageRecord.From).ToList();
        var temporary = Path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(stream, records, RetainedMessageJsonContext.Default.ListRetainedMessageRecord, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
