using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Tests.Hostile;

/// <summary>Turns valid frames into the kinds of damage lines and devices produce. Seeded, so every run is the same.</summary>
internal sealed class Mutator(int seed)
{
    public Random Random { get; } = new(seed);

    public enum Damage { None, Truncate, Oversize, FlipBit, OtherUnit, OtherFunction, LyingCount, LyingCountWithCrc, Garbage, GarbageBefore, Empty }

    public Damage Pick() => (Damage)Random.Next(Enum.GetValues<Damage>().Length);

    /// <summary>Damages an RTU frame (unit + PDU + CRC). Where the CRC is "fixed" the damage must be caught by the parser.</summary>
    public byte[] DamageRtu(byte[] frame, Damage damage)
    {
        var copy = (byte[])frame.Clone();
        switch (damage)
        {
            case Damage.None:
                return copy;
            case Damage.Truncate:
                return copy[..Random.Next(copy.Length)];
            case Damage.Oversize:
                return [.. copy, .. Bytes(Random.Next(1, 300))];
            case Damage.FlipBit:
                copy[Random.Next(copy.Length)] ^= (byte)(1 << Random.Next(8));
                return copy;
            case Damage.OtherUnit:
                copy[0] = (byte)(copy[0] + 1 + Random.Next(200));
                return Recrc(copy);
            case Damage.OtherFunction:
                copy[1] = (byte)Random.Next(256);
                return Recrc(copy);
            case Damage.LyingCount:
                copy[Math.Min(2, copy.Length - 1)] = (byte)Random.Next(256);
                return copy;
            case Damage.LyingCountWithCrc:
                copy[Math.Min(2 + Random.Next(4), copy.Length - 3)] = (byte)Random.Next(256);
                return Recrc(copy);
            case Damage.Garbage:
                return Bytes(Random.Next(1, 300));
            case Damage.GarbageBefore:
                return [.. Bytes(Random.Next(1, 20)), .. copy];
            default:
                return [];
        }
    }

    public byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Recrc(byte[] frame)
    {
        if (frame.Length >= 4)
        {
            Crc16.Append(frame, frame.Length - 2);
        }

        return frame;
    }
}
