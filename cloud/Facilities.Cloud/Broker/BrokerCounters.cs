namespace Facilities.Cloud.Broker;

/// <summary>What the embedded broker refused or dropped since start, by reason (served at <c>/metrics</c>).</summary>
internal sealed record BrokerCounterSnapshot(
    long BadCredentials,
    long ClientIdRefused,
    long ConnectTimeouts,
    long AuthenticationTimeouts,
    long PacketsTooLarge,
    long ProtocolViolations,
    long RetainedRefused,
    long PublishesRefused,
    long SubscriptionsRefused,
    long DeadLettersDropped);

/// <summary>The broker's refusal and drop counters; incremented from any connection's thread.</summary>
internal sealed class BrokerCounters
{
    private long _badCredentials;
    private long _clientIdRefused;
    private long _connectTimeouts;
    private long _authenticationTimeouts;
    private long _packetsTooLarge;
    private long _protocolViolations;
    private long _retainedRefused;
    private long _publishesRefused;
    private long _subscriptionsRefused;
    private long _deadLettersDropped;

    public void BadCredentials() => Interlocked.Increment(ref _badCredentials);

    public void ClientIdRefused() => Interlocked.Increment(ref _clientIdRefused);

    public void ConnectTimeout() => Interlocked.Increment(ref _connectTimeouts);

    public void AuthenticationTimeout() => Interlocked.Increment(ref _authenticationTimeouts);

    public void PacketTooLarge() => Interlocked.Increment(ref _packetsTooLarge);

    public void ProtocolViolation() => Interlocked.Increment(ref _protocolViolations);

    public void RetainedRefused() => Interlocked.Increment(ref _retainedRefused);

    public void PublishRefused() => Interlocked.Increment(ref _publishesRefused);

    public void SubscriptionRefused() => Interlocked.Increment(ref _subscriptionsRefused);

    public void DeadLetterDropped() => Interlocked.Increment(ref _deadLettersDropped);

    public BrokerCounterSnapshot Snapshot() => new(
        Interlocked.Read(ref _badCredentials), Interlocked.Read(ref _clientIdRefused), Interlocked.Read(ref _connectTimeouts),
        Interlocked.Read(ref _authenticationTimeouts), Interlocked.Read(ref _packetsTooLarge), Interlocked.Read(ref _protocolViolations),
        Interlocked.Read(ref _retainedRefused), Interlocked.Read(ref _publishesRefused), Interlocked.Read(ref _subscriptionsRefused),
        Interlocked.Read(ref _deadLettersDropped));
}
