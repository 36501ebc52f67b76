using System.Buffers.Binary;

namespace Facilities.Modbus.Protocol;

/// <summary>Byte-level helpers shared by the per-function PDU codecs.</summary>
internal static class Pdu
{
    public const byte ExceptionFlag = 0x80;

    public static ushort U16(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);

    public static void U16(Span<byte> span, int offset, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(span[offset..], value);

    public static int BitByteCount(int bits) => (bits + 7) >> 3;

    public static void PackBits(ReadOnlySpan<bool> bits, Span<byte> destination)
    {
        destination[..BitByteCount(bits.Length)].Clear();
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                destination[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
    }

    public static void UnpackBits(ReadOnlySpan<byte> packed, Span<bool> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (packed[i >> 3] & (1 << (i & 7))) != 0;
        }
    }

    public static void ReadRegisters(ReadOnlySpan<byte> source, Span<ushort> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(source[(2 * i)..]);
        }
    }

    public static void WriteRegisters(ReadOnlySpan<ushort> source, Span<byte> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(2 * i)..], source[i]);
        }
    }

    /// <summary>Checks a response PDU's function byte; returns the exception code if it is an exception response.</summary>
    public static FrameError CheckFunction(ReadOnlySpan<byte> response, FunctionCode function, out ModbusExceptionCode exception)
    {
        exception = ModbusExceptionCode.None;
        if (response.Length < 2)
        {
            return FrameError.Truncated;
        }

        if (response[0] == ((byte)function | ExceptionFlag))
        {
            if (response.Length != 2)
            {
                return FrameError.BadLength;
            }

            exception = (ModbusExceptionCode)response[1];
            return exception == ModbusExceptionCode.None ? FrameError.BadValue : FrameError.None;
        }

        return response[0] == (byte)function ? FrameError.None : FrameError.UnexpectedFunction;
    }

    public static int WriteException(Span<byte> response, byte function, ModbusExceptionCode code)
    {
        response[0] = (byte)(function | ExceptionFlag);
        response[1] = (byte)code;
        return 2;
    }

    /// <summary>Request shape shared by 01-06: function, address, quantity-or-value.</summary>
    public static int WriteAddressAndWord(Span<byte> pdu, FunctionCode function, ushort address, ushort word)
    {
        pdu[0] = (byte)function;
        U16(pdu, 1, address);
        U16(pdu, 3, word);
        return 5;
    }

    public static bool TryReadAddressAndWord(ReadOnlySpan<byte> pdu, out ushort address, out ushort word)
    {
        if (pdu.Length != 5)
        {
            address = word = 0;
            return false;
        }

        address = U16(pdu, 1);
        word = U16(pdu, 3);
        return true;
    }

    /// <summary>True if [address, address + count) stays inside the 16-bit address space.</summary>
    public static bool FitsAddressSpace(ushort address, int count) => address + count <= 0x10000;
}
