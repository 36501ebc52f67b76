using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>When ingestion counts as stalled (what /healthz and /metrics report), on a hand-moved clock.</summary>
public sealed class IngestionHealthTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Check_BatchWaitingLongerThanTheStallWindow_IsStalledWithTheLastError()
    {
        var clock = new ManualClock(Start);
        var health = new IngestionHealth(new IngestionOptions { StallWindow = TimeSpan.FromMinutes(2) }, clock);

        health.Waiting();
        health.Failed("database is locked");
        clock.Advance(TimeSpan.FromMinutes(1));
        health.Waiting(); // the same batch, tried again: the clock keeps running from the first attempt
        clock.Advance(TimeSpan.FromMinutes(1.5));

        var check = health.Check();
        Assert.True(check.Stalled);
        Assert.Equal(TimeSpan.FromMinutes(2.5), check.Waiting);
        Assert.Equal(("database is locked", 1L), (check.LastError, check.Failures));
    }

    [Fact]
    public void Check_StoredBatch_EndsTheStall()
    {
        var clock = new ManualClock(Start);
        var health = new IngestionHealth(new IngestionOptions { StallWindow = TimeSpan.FromMinutes(2) }, clock);
        health.Waiting();
        clock.Advance(TimeSpan.FromMinutes(3));

        health.Stored();

        var check = health.Check();
        Assert.False(check.Stalled);
        Assert.Equal(TimeSpan.Zero, check.Waiting);
        Assert.Equal(Start.AddMinutes(3), check.LastStored);
    }

    [Fact]
    public void Check_NothingWaitingForLong_IsNotStalled()
    {
        var clock = new ManualClock(Start);
        var health = new IngestionHealth(new IngestionOptions(), clock);

        clock.Advance(TimeSpan.FromHours(5)); // a quiet night: no messages is not a stall

        Assert.False(health.Check().Stalled);
    }

    [Fact]
    public void Validate_NonPositiveLimits_NameEachKey()
    {
        var errors = new IngestionOptions { MaxPoints = 0, MaxClockSkew = TimeSpan.Zero, MaxSeqJump = -1 }.Validate();

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("'MaxPoints'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("'MaxClockSkew'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("'MaxSeqJump'", StringComparison.Ordinal));
    }
}
