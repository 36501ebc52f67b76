namespace Facilities.Modbus.Framing;

/// <summary>
/// Serial line timing. The spec values (1.5 and 3.5 character times, fixed at 0.750 ms and 1.750 ms above
/// 19200 baud) are computed from the baud rate; <see cref="GapTolerance"/> is added to the intra-frame limit because
/// operating systems and USB adapters deliver bytes in bursts (often 1 ms or more apart, far more on a loaded machine), which would break every
/// frame under a strict 0.75 ms rule. Set it to zero on hardware with real-time UARTs.
/// </summary>
public sealed record RtuTiming
{
    /// <summary>11 bits per character: start, 8 data, parity or second stop, stop.</summary>
    public const int BitsPerCharacter = 11;

    public required int BaudRate { get; init; }

    /// <summary>Added to the 1.5-character limit before a gap inside a frame breaks it.</summary>
    public TimeSpan GapTolerance { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Extra wait after a frame is received before the next one is sent, for slow RS-485 transceivers.</summary>
    public TimeSpan TurnaroundDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// RTU frames carried over TCP by a serial-to-Ethernet converter: the converter owns the line timing, so the
    /// character-time rules are off and only <see cref="GapTolerance"/> and <see cref="TurnaroundDelay"/> apply.
    /// </summary>
    public bool OverNetwork { get; init; }

    public TimeSpan CharacterTime => TimeSpan.FromTicks(TimeSpan.TicksPerSecond * BitsPerCharacter / BaudRate);

    /// <summary>t1.5: the longest silence allowed inside a frame by the spec.</summary>
    public TimeSpan InterCharacterLimit => OverNetwork ? TimeSpan.Zero
        : BaudRate > 19200 ? TimeSpan.FromMicroseconds(750) : CharacterTime * 1.5;

    /// <summary>t3.5: the silence that separates frames.</summary>
    public TimeSpan InterFrameSilence => OverNetwork ? TimeSpan.Zero
        : BaudRate > 19200 ? TimeSpan.FromMicroseconds(1750) : CharacterTime * 3.5;

    /// <summary>The silence that ends a frame in progress: t1.5 plus the tolerance.</summary>
    public TimeSpan FrameGapTimeout => InterCharacterLimit + GapTolerance;

    /// <summary>The quiet time before a frame may be sent: t3.5 plus the turnaround delay.</summary>
    public TimeSpan SendGuard => InterFrameSilence + TurnaroundDelay;

    /// <summary>Wire time of <paramref name="bytes"/> characters at this baud rate.</summary>
    public TimeSpan TransmissionTime(int bytes) => CharacterTime * bytes;

    /// <summary>Timing for RTU frames carried over TCP by a serial-to-Ethernet converter: the converter owns the line timing.</summary>
    public static RtuTiming ForNetwork(TimeSpan? gapTolerance = null, TimeSpan? turnaroundDelay = null) => new()
    {
        BaudRate = 115200,
        OverNetwork = true,
        GapTolerance = gapTolerance ?? TimeSpan.FromMilliseconds(100),
        TurnaroundDelay = turnaroundDelay ?? TimeSpan.Zero,
    };

    /// <summary>How long the line must stay quiet before it counts as idle (used to resynchronise after bad frames).</summary>
    public TimeSpan IdleSilence => InterFrameSilence > FrameGapTimeout ? InterFrameSilence : FrameGapTimeout;

    public void Validate()
    {
        if (BaudRate is < 300 or > 4_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, "Baud rate must be between 300 and 4000000.");
        }

        if (GapTolerance < TimeSpan.Zero || TurnaroundDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(GapTolerance), "Gap tolerance and turnaround delay cannot be negative.");
        }

        if (OverNetwork && GapTolerance <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(GapTolerance), "RTU over TCP needs a gap tolerance above zero: network packets arrive in bursts.");
        }
    }
}
