using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Facilities.Gateway.Polling;

namespace Facilities.Gateway.Outbox;

/// <summary>One message waiting for the broker's acknowledgement.</summary>
public sealed record OutboxMessage(long Seq, string Topic, bool Retain, MessageClass Class, byte[] Payload);

/// <summary>
/// The on-disk record: length, then seq, class, retain, topic and payload, then a CRC-32 of all of it. A record cut
/// short by power loss or with a bad CRC ends the segment's readable part; nothing after it is trusted.
/// </summary>
internal static class OutboxRecord
{
    private const int Header = 4 + 8 + 1 + 1 + 2;

    public static int Size(OutboxMessage message) => Header + Encoding.UTF8.GetByteCount(message.Topic) + message.Payload.Length + 4;

    public static void Write(Stream stream, OutboxMessage message)
    {
        var topic = Encoding.UTF8.GetBytes(message.Topic);
        var buffer = new byte[Header + topic.Length + message.Payload.Length + 4];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, buffer.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], message.Seq);
        span[12] = (byte)message.Class;
        span[13] = message.Retain ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[14..], (ushort)topic.Length);
        topic.CopyTo(span[Header..]);
        message.Payload.CopyTo(span[(Header + topic.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32.HashToUInt32(span[..^4]));
        stream.Write(buffer);
    }

    /// <summary>Reads every intact record of a segment, stopping at the first damaged or incomplete one.</summary>
    public static IEnumerable<OutboxMessage> ReadAll(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = 0;
        while (bytes.Length - offset >= Header + 4)
        {
            var span = bytes.AsSpan(offset);
            var length = BinaryPrimitives.ReadInt32LittleEndian(span);
            if (length < Header + 4 || length > span.Length
                || BinaryPrimitives.ReadUInt32LittleEndian(span[(length - 4)..]) != Crc32.HashToUInt32(span[..(length - 4)]))
            {
                yield break;
            }

            var topicLength = BinaryPrimitives.ReadUInt16LittleEndian(span[14..]);
            var topic = Encoding.UTF8.GetString(span.Slice(Header, topicLength));
            var payload = span[(Header + topicLength)..(length - 4)].ToArray();
            yield return new OutboxMessage(
                BinaryPrimitives.ReadInt64LittleEndian(span[4..]), topic, span[13] == 1, (MessageClass)span[12], payload);
            offset += length;
        }
    }
}
