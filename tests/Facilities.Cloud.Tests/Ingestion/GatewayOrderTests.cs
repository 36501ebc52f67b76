using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.Ingestion;

public sealed class GatewayOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    private static Envelope Reading(string gateway, long seq) =>
        new(new TopicAddress(TopicKind.Telemetry, "estate", gateway, "dev"), new TelemetryMessage(Schema.Version, seq, T0.AddSeconds(seq), "dev", "charger-shed", "b01",
            new Dictionary<string, double> { ["port_1_power"] = seq }), T0);

    private static Envelope Will(string gateway) =>
        new(new TopicAddress(TopicKind.GatewayStatus, "estate", gateway), new GatewayStatusMessage(Schema.Version, 0, T0, gateway, "offline", "", 0, 0, 0, 0), T0);

    private static string Order(IEnumerable<Envelope> batch) =>
        string.Join(" ", batch.Select(e => $"{e.Gateway}:{(e.Message is GatewayStatusMessage { Seq: 0 } ? "will" : e.Message.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));

    [Fact]
    public void Sort_PutsEachGatewaysMessagesInSequenceOrder_KeepingGatewaysInFirstArrivalOrder()
    {
        // Two slots delivered gw-a's 3 before its 1 and 2, and gw-b's 2 before its 1.
        List<Envelope> batch = [Reading("gw-a", 3), Reading("gw-b", 2), Reading("gw-a", 1), Reading("gw-b", 1), Reading("gw-a", 2)];

        Assert.Equal("gw-a:1 gw-a:2 gw-a:3 gw-b:1 gw-b:2", Order(GatewayOrder.Sort(batch)));
    }

    [Fact]
    public void Sort_KeepsALastWillBetweenTheStretchesBeforeAndAfterIt()
    {
        // gw-a died after 5 (the broker published its will) and came back with 7 and 6, delivered out of order.
        List<Envelope> batch = [Reading("gw-a", 5), Reading("gw-a", 4), Will("gw-a"), Reading("gw-a", 7), Reading("gw-a", 6)];

        Assert.Equal("gw-a:4 gw-a:5 gw-a:will gw-a:6 gw-a:7", Order(GatewayOrder.Sort(batch)));
    }

    [Fact]
    public void Sort_LeavesAnOrderedBatchAsItIs()
    {
        List<Envelope> batch = [Reading("gw-a", 1), Reading("gw-b", 7), Reading("gw-a", 2)];

        Assert.Same(batch, GatewayOrder.Sort(batch));
    }
}
