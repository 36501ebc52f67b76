namespace Facilities.FirmwareSim.Simulation;

/// <summary>
/// Simulated time: starts at <see cref="Start"/> and runs <see cref="Speed"/> times faster than the real clock
/// (0 freezes it, which tests use to read stable values). Built on <see cref="TimeProvider"/> so tests can drive it.
/// </summary>
public sealed class SimulationClock
{
    private readonly TimeProvider _real;
    private readonly long _startTimestamp;

    public SimulationClock(TimeProvider real, double speed, DateTimeOffset? start = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(speed);
        _real = real;
        Speed = speed;
        Start = start ?? real.GetUtcNow();
        _startTimestamp = real.GetTimestamp();
    }

    public double Speed { get; }

    public DateTimeOffset Start { get; }

    public DateTimeOffset Now => Start + (_real.GetElapsedTime(_startTimestamp) * Speed);
}
