using System.Text;
using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Gateway.Tests;

public sealed class OutboxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outbox-test-").FullName;

    private OutboxOptions Options(long maxBytes = 1024 * 1024) => new()
    {
        Directory = _directory, MaxBytes = maxBytes, SegmentBytes = 4096, FlushInterval = TimeSpan.FromHours(1),
    };

    private static void Put(DiskOutbox outbox, MessageClass kind, string text = "x") =>
        outbox.Enqueue("t/" + kind, retain: false, kind, seq => Encoding.UTF8.GetBytes($"{text}:{seq}"));

    private static async Task<List<OutboxMessage>> TakeAsync(DiskOutbox outbox, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var taken = new List<OutboxMessage>();
        for (var i = 0; i < count; i++)
        {
            taken.Add(await outbox.NextAsync(timeout.Token));
        }

        return taken;
    }

    [Fact]
    public async Task Messages_AreNotHandedOutBeforeTheyAreOnDisk()
    {
        await using var outbox = new DiskOutbox(Options(), NullLogger.Instance);
        Put(outbox, MessageClass.Telemetry);
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => outbox.NextAsync(soon.Token));
        outbox.Flush();
        Assert.Equal(1, (await TakeAsync(outbox, 1))[0].Seq);
    }

    [Fact]
    public async Task Events_OvertakeATelemetryBacklog_EachInSequenceOrder()
    {
        await using var outbox = new DiskOutbox(Options(), NullLogger.Instance);
        Put(outbox, MessageClass.Telemetry);
        Put(outbox, MessageClass.Telemetry);
        Put(outbox, MessageClass.Event);
        Put(outbox, MessageClass.Telemetry);
        Put(outbox, MessageClass.Event);
        outbox.Flush();
        Assert.Equal([3L, 5, 1, 2, 4], (await TakeAsync(outbox, 5)).Select(m => m.Seq));
    }

    [Fact]
    public async Task Restart_ResendsEverythingNotAcknowledged_AndSequenceContinues()
    {
        await using (var outbox = new DiskOutbox(Options(), NullLogger.Instance))
        {
            for (var i = 0; i < 50; i++)
            {
                Put(outbox, MessageClass.Telemetry, new string('p', 100));
            }

            outbox.Flush();
            foreach (var message in await TakeAsync(outbox, 20))
            {
                outbox.Acknowledge(message.Seq);
            }

            outbox.Flush();
        }

        await using var again = new DiskOutbox(Options(), NullLogger.Instance);
        Assert.Equal(30, again.Depth);
        Assert.Equal(Enumerable.Range(21, 30).Select(i => (long)i), (await TakeAsync(again, 30)).Select(m => m.Seq));
        Put(again, MessageClass.Event);
        again.Flush();
        Assert.Equal(51, (await TakeAsync(again, 1))[0].Seq);
    }

    [Fact]
    public async Task Restart_AfterAPowerCutMidRecord_KeepsEveryIntactRecord()
    {
        await using (var outbox = new DiskOutbox(Options(), NullLogger.Instance))
        {
            for (var i = 0; i < 10; i++)
            {
                Put(outbox, MessageClass.Event);
            }

            outbox.Flush();
        }

        var segment = Directory.GetFiles(_directory, "segment-*.log").Single();
        await using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write([60, 0, 0, 0, 11, 0, 0]);   // the start of an eleventh record, cut off
        }

        await using var again = new DiskOutbox(Options(), NullLogger.Instance);
        Assert.Equal(10, again.Depth);
        Put(again, MessageClass.Event);
        Assert.Equal(11, again.NextSequence - 1);
    }

    [Fact]
    public async Task Full_DropsOldestTelemetryBeforeAnyEvent_AndCounts()
    {
        await using var outbox = new DiskOutbox(Options(maxBytes: 2000), NullLogger.Instance);
        for (var i = 0; i < 5; i++)
        {
            Put(outbox, MessageClass.Event, new string('e', 100));
        }

        for (var i = 0; i < 20; i++)
        {
            Put(outbox, MessageClass.Telemetry, new string('t', 100));
        }

        outbox.Flush();
        Assert.True(outbox.Dropped > 0);
        var left = await TakeAsync(outbox, (int)outbox.Depth);
        Assert.Equal(5, left.Count(m => m.Class == MessageClass.Event));
        Assert.Equal(25 - outbox.Dropped, left.Count);
        Assert.Equal(25L, left.Max(m => m.Seq));
    }

    [Fact]
    public async Task AcknowledgedSegments_AreDeleted()
    {
        await using var outbox = new DiskOutbox(Options(), NullLogger.Instance);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                Put(outbox, MessageClass.Telemetry, new string('p', 100));
            }

            outbox.Flush();
            foreach (var message in await TakeAsync(outbox, 30))
            {
                outbox.Acknowledge(message.Seq);
            }

            outbox.Flush();
        }

        Assert.Equal(0, outbox.Depth);
        Assert.True(Directory.GetFiles(_directory, "segment-*.log").Length <= 1, "acknowledged segments remain");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
