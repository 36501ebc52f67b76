namespace Facilities.Gateway.Benchmarks;

/// <summary>
/// The physical limit of an RTU line (docs: DOMAIN.md, "Modbus physics"): one read of N registers is an 8-byte request
/// and a (5 + 2N)-byte response of 11-bit characters, each frame preceded by t3.5 of silence, plus the device's
/// turnaround. Pure arithmetic.
/// </summary>
internal static class ModbusPhysics
{
    public const int BitsPerCharacter = 11;
    public const int ReadRequestBytes = 8;

    public static int ReadResponseBytes(int registers) => 5 + (2 * registers);

    /// <summary>t3.5 in seconds: 3.5 character times, fixed at 1.750 ms above 19200 baud.</summary>
    public static double InterFrameSeconds(int baud) => baud > 19200 ? 0.00175 : 3.5 * BitsPerCharacter / baud;

    public static double WireSeconds(int bytes, int baud) => (double)bytes * BitsPerCharacter / baud;

    /// <summary><c>T = (13 + 2N) × 11 / baud + 2 × t3.5</c>: the shortest a read of N registers can take, turnaround aside.</summary>
    public static double ReadSeconds(int registers, int baud) =>
        WireSeconds(ReadRequestBytes + ReadResponseBytes(registers), baud) + (2 * InterFrameSeconds(baud));

    /// <summary>
    /// What a device adds to an exchange beyond the wire and its own t3.5: the time from handing the request to the
    /// line to the last byte of the response, as a master measures it, less both frames' wire time and one t3.5.
    /// </summary>
    public static double TurnaroundSeconds(double exchangeSeconds, int registers, int baud) =>
        exchangeSeconds - WireSeconds(ReadRequestBytes + ReadResponseBytes(registers), baud) - InterFrameSeconds(baud);

    /// <summary>Transactions per second the line allows when every read takes <see cref="ReadSeconds"/> plus <paramref name="turnaroundSeconds"/>.</summary>
    public static double LimitPerSecond(int registers, int baud, double turnaroundSeconds) =>
        1 / (ReadSeconds(registers, baud) + turnaroundSeconds);
}
