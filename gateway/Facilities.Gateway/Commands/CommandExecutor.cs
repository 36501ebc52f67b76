using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Gateway.Publishing;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Telemetry;

namespace Facilities.Gateway.Commands;

/// <summary>
/// Carries out writes the cloud asks for: only to points the device's profile marks writable, with the value checked
/// against the point's type, over the same master that polls the device (so a serial line still sees one
/// transaction at a time). Every command gets a result: success, or why it was refused or failed.
/// </summary>
public sealed partial class CommandExecutor(
    IReadOnlyDictionary<string, (PolledDevice Device, ModbusMaster Master)> devices,
    IMessageSink sink,
    GatewayIdentity identity,
    TimeProvider time,
    ILogger logger)
{
    public async Task ExecuteAsync(CommandMessage command, CancellationToken cancellationToken)
    {
        var error = await TryExecuteAsync(command, cancellationToken);
        LogCommand(logger, command.Id, command.Device, command.Point, command.Value, error ?? "done");
        sink.Enqueue(Topics.CommandResults(identity.Site, identity.Gateway), retain: false, MessageClass.Event, seq => MessageJson.Serialize(
            new CommandResultMessage(Schema.Version, seq, time.GetUtcNow(), command.Id, command.Device, command.Point, error is null, error)));
    }

    private async Task<string?> TryExecuteAsync(CommandMessage command, CancellationToken cancellationToken)
    {
        if (command.Schema != Schema.Version)
        {
            return $"schema {command.Schema} is not supported (this gateway speaks {Schema.Version})";
        }

        if (!devices.TryGetValue(command.Device, out var target))
        {
            return $"no device '{command.Device}' on this gateway";
        }

        var point = target.Device.Profile.Points.FirstOrDefault(p => p.Name == command.Point);
        if (point is null)
        {
            return $"device '{command.Device}' has no point '{command.Point}'";
        }

        if (!point.Writable)
        {
            return $"point '{command.Point}' is not writable (its profile does not allow it)";
        }

        var (words, problem) = PointEncoder.Encode(point, command.Value);
        if (words is null)
        {
            return problem;
        }

        try
        {
            var unit = target.Device.Unit;
            var result = point.Table switch
            {
                RegisterTable.Coils => await target.Master.WriteSingleCoilAsync(unit, point.Address, words[0] != 0, cancellationToken),
                _ when point.Type == PointType.Bit => await WriteBitAsync(target.Master, unit, point, words[0] != 0, cancellationToken),
                _ when words.Length == 1 => await target.Master.WriteSingleRegisterAsync(unit, point.Address, words[0], cancellationToken),
                _ => await target.Master.WriteMultipleRegistersAsync(unit, point.Address, words, cancellationToken),
            };
            return result.IsSuccess ? null : $"the device refused: Modbus exception {(byte)result.ExceptionCode} ({result.ExceptionCode})";
        }
        catch (ModbusTransportException e)
        {
            return $"the device did not take it: {e.Message}";
        }
    }

    /// <summary>A bit of a holding register: read, change the one bit, write back.</summary>
    private static async Task<ModbusResult> WriteBitAsync(ModbusMaster master, byte unit, PointSpec point, bool value, CancellationToken cancellationToken)
    {
        var current = await master.ReadHoldingRegistersAsync(unit, point.Address, 1, cancellationToken);
        if (!current.IsSuccess)
        {
            return new ModbusResult(current.ExceptionCode);
        }

        var mask = (ushort)(1 << point.Bit);
        var word = value ? (ushort)(current.Value[0] | mask) : (ushort)(current.Value[0] & ~mask);
        return await master.WriteSingleRegisterAsync(unit, point.Address, word, cancellationToken);
    }

    [LoggerMessage(400, LogLevel.Information, "Command {Id}: {Device}.{Point} = {Value}: {Outcome}")]
    private static partial void LogCommand(ILogger logger, string id, string device, string point, double value, string outcome);
}
