using Facilities.Modbus.Framing;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Transport;

namespace Facilities.Modbus.Slave;

/// <summary>
/// Serves a <see cref="ModbusSlave"/> on one RTU line: a serial port (multi-drop, several units on one line) or one
/// TCP connection carrying RTU frames. Frames with a bad CRC are dropped without reply, as the spec requires, and
/// requests for units not hosted here get no reply, so another device on the line can answer them.
/// </summary>
public static class RtuSlaveLine
{
    /// <summary>Serves until <paramref name="cancellationToken"/> fires or the line closes; returns the count of bad frames seen.</summary>
    public static async Task<long> ServeAsync(ModbusSlave slave, Stream line, RtuTiming timing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slave);
        var rtu = new RtuLine(line, timing);
        var response = new byte[ModbusLimits.MaxRtuFrameLength];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int length;
                try
                {
                    length = await rtu.ReadFrameAsync(asRequest: true, timeout: null, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ModbusConnectionException)
                {
                    break;
                }

                if (length == 0)
                {
                    continue;
                }

                var unit = rtu.Received[0];
                var answer = slave.Handle(unit, rtu.Received[1..(length - 2)], response.AsSpan(1, ModbusLimits.MaxPduLength), serial: true);
                if (answer == 0)
                {
                    continue;
                }

                var delay = slave.DelayFor(unit);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, cancellationToken);
                }

                response[0] = unit;
                var frameLength = Crc16.Append(response, 1 + answer);
                if (slave.CorruptsFor(unit))
                {
                    response[frameLength - 1] ^= 0xA5;
                }

                await rtu.WriteFrameAsync(response.AsMemory(0, frameLength), cancellationToken);
            }
        }
        finally
        {
            // The stream belongs to the caller; only the line's receiver stops here.
            await rtu.StopAsync();
        }

        return rtu.BadFrames;
    }
}
