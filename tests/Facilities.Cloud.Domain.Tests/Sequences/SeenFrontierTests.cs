using Facilities.Cloud.Domain.Sequences;

namespace Facilities.Cloud.Domain.Tests.Sequences;

public sealed class SeenFrontierTests
{
    private const long Now = 1_800_000_000_000;

    private static readonly long Old = Now - (long)SeenFrontier.YoungFor.TotalMilliseconds - 1;

    private static SeenRange[] Runs(int count, Func<int, long> received) =>
        [.. Enumerable.Range(0, count).Select(i => new SeenRange((i * 10) + 1, (i * 10) + 5, received(i), received(i) + 3))];

    [Fact]
    public void Split_FewRuns_AreAllRows()
    {
        var runs = Runs(SeenFrontier.RowsAtMost, _ => Now);
        var (rows, frontier) = SeenFrontier.Split(runs, Now);
        Assert.Equal(runs, rows);
        Assert.Empty(frontier);
    }

    [Fact]
    public void Split_ManyRuns_FrontierStartsAtTheLowestYoungRun()
    {
        // The three oldest settled; the fourth is young, so it and everything above it (an old one among them) is frontier.
        var runs = Runs(40, i => i < 3 || i == 10 ? Old - 3 : Now - 1000);
        var (rows, frontier) = SeenFrontier.Split(runs, Now);
        Assert.Equal(runs[..3], rows);
        Assert.Equal(runs[3..], frontier);
        Assert.Equal(runs, SeenFrontier.Join(rows, frontier));
    }

    [Fact]
    public void Split_ManyRunsAllOld_AreAllRows()
    {
        var runs = Runs(40, _ => Old - 10);
        Assert.Equal((runs, Array.Empty<SeenRange>()), SeenFrontier.Split(runs, Now));
    }

    [Fact]
    public void Encode_RoundTrips_WithLargeNumbersAndReceiptsOutOfOrder()
    {
        var runs = new[]
        {
            new SeenRange(1, 1, Now, Now),
            new SeenRange(3, 9_007_199_254_740_000, Now - 5_000, Now + 7),
            new SeenRange(9_007_199_254_740_002, 9_007_199_254_740_991, 0, 12),
        };
        var bytes = SeenFrontier.Encode(runs);
        Assert.NotNull(bytes);
        Assert.Equal(runs, SeenFrontier.Decode(bytes));
        Assert.Null(SeenFrontier.Encode([]));
        Assert.Empty(SeenFrontier.Decode(null));
    }

    [Fact]
    public void Encode_ThousandsOfShortRuns_TakeAFewBytesEach()
    {
        var runs = Enumerable.Range(0, 4000).Select(i => new SeenRange((i * 8) + 1, (i * 8) + 1, Now + i, Now + i)).ToArray();
        var bytes = SeenFrontier.Encode(runs)!;
        Assert.InRange(bytes.Length, 4000 * 4, 4000 * 6);
        Assert.Equal(runs, SeenFrontier.Decode(bytes));
    }

    // Numbers are zigzag varints: 1 is 2, 2 is 4, −1 is 1.
    [Theory]
    [InlineData(new byte[] { 2, 0 }, "format 2")]
    [InlineData(new byte[] { 1, 4, 2, 0, 0 }, "ends inside a number")]
    [InlineData(new byte[] { 1, 2, 2, 0, 0, 0, 9 }, "bytes after")]
    [InlineData(new byte[] { 1, 4, 2, 0, 0, 0, 2, 0, 0, 0 }, "out of order")]
    [InlineData(new byte[] { 1, 1 }, "-1 runs")]
    [InlineData(new byte[] { 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "longer than 64 bits")]
    public void Decode_Damaged_SaysWhat(byte[] bytes, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => SeenFrontier.Decode(bytes));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
