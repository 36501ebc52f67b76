using System.Net;
using System.Net.Sockets;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Facilities.Modbus.Tests.Support;
using Facilities.Modbus.Transport;

namespace Facilities.Modbus.Tests.Hostile;

/// <summary>
/// Randomised damage against both sides' frame decoders, 100,000 cases each with a fixed seed: nothing but a typed
/// Modbus error may escape, nothing may hang, and a lying length field may not make memory grow.
/// </summary>
public sealed class HostileInputTests
{
    private const int Cases = 100_000;
    // The scripted line reports silence itself, so the timers only need to be long enough never to fire.
    private static readonly RtuTiming Instant = RtuTiming.ForNetwork(TimeSpan.FromSeconds(5));

    private static ModbusSlave TwoUnits()
    {
        var slave = new ModbusSlave();
        for (byte unit = 1; unit <= 2; unit++)
        {
            var store = new RegisterStore()
                .Declare(RegisterTable.Coils, 0, 100).Declare(RegisterTable.DiscreteInputs, 0, 100)
                .Declare(RegisterTable.InputRegisters, 0, 100).Declare(RegisterTable.HoldingRegisters, 0, 100);
            for (ushort a = 0; a < 100; a++)
            {
                store.Set(RegisterTable.HoldingRegisters, a, (ushort)(unit * 1000 + a));
                store.Set(RegisterTable.InputRegisters, a, (ushort)(unit * 1000 + a));
            }

            slave.Add(unit, store);
        }

        return slave;
    }

    /// <summary>A valid request PDU of a random function.</summary>
    private static byte[] RandomRequestPdu(Random random)
    {
        var address = (ushort)random.Next(90);
        var count = (ushort)random.Next(1, 10);
        return random.Next(7) switch
        {
            0 => [0x01, 0, (byte)address, 0, (byte)count],
            1 => [0x02, 0, (byte)address, 0, (byte)count],
            2 => [0x03, 0, (byte)address, 0, (byte)count],
            3 => [0x04, 0, (byte)address, 0, (byte)count],
            4 => [0x05, 0, (byte)address, 0xFF, 0x00],
            5 => [0x06, 0, (byte)address, 0x12, 0x34],
            _ => [0x10, 0, (byte)address, 0, 2, 4, 0, 1, 0, 2],
        };
    }

    [Fact(Timeout = 120_000)]
    public async Task SlaveRtuDecoder_DamagedRequests_AnswersOnlyValidFramesAndNeverLosesTheNextGoodOne()
    {
        var mutator = new Mutator(seed: 20261122);
        var line = new ScriptedLine();
        var controls = 0;
        for (var i = 0; i < Cases; i++)
        {
            if (i % 10 == 0)
            {
                // A clean request in its own burst: whatever garbage came before, it must be answered.
                // Input registers, because the damaged writes may change holding registers.
                line.Feed([Frames.Rtu(1, 0x04, 0, 7, 0, 1)]);
                controls++;
                continue;
            }

            var frame = Frames.Rtu([(byte)mutator.Random.Next(1, 3), .. RandomRequestPdu(mutator.Random)]);
            line.Feed([mutator.DamageRtu(frame, mutator.Pick())]);
        }

        var badFrames = await RtuSlaveLine.ServeAsync(TwoUnits(), line, Instant, TestContext.Current.CancellationToken);

        Assert.All(line.Written, response =>
        {
            Assert.True(Crc16.IsValid(response), "every response carries a valid CRC");
            Assert.InRange(response[0], 1, 2);
        });
        var controlAnswers = line.Written.Count(r => r.AsSpan().SequenceEqual(Frames.Rtu([1, .. Frames.RegistersPdu(4, 1007)])));
        Assert.True(controlAnswers >= controls, $"{controlAnswers} answers to {controls} clean requests");
        Assert.True(badFrames > Cases / 4, $"only {badFrames} frames were rejected");
    }

    [Fact(Timeout = 120_000)]
    public async Task MasterRtuDecoder_DamagedResponses_OnlyTypedErrorsAndCleanAnswersAreRight()
    {
        var mutator = new Mutator(seed: 4242);
        var slave = TwoUnits();
        var damage = Mutator.Damage.None;
        var line = new ScriptedLine
        {
            Respond = request =>
            {
                var response = new byte[253];
                var length = slave.Handle(request[0], request.AsSpan(1, request.Length - 3), response, serial: true);
                var frame = Frames.Rtu([request[0], .. response[..length]]);
                return mutator.Random.Next(8) == 0
                    ? [mutator.Bytes(mutator.Random.Next(1, 40)), mutator.DamageRtu(frame, damage)]
                    : [mutator.DamageRtu(frame, damage)];
            },
        };
        await using var master = ModbusMaster.CreateRtu(_ => ValueTask.FromResult<Stream>(line),
            new ModbusRtuMasterOptions { Endpoint = "scripted", Timing = Instant, RequestTimeout = TimeSpan.FromSeconds(5) });

        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < Cases; i++)
        {
            damage = mutator.Pick();
            var address = (ushort)mutator.Random.Next(90);
            string outcome;
            try
            {
                var result = await master.ReadHoldingRegistersAsync(1, address, 3, TestContext.Current.CancellationToken);
                outcome = result.IsSuccess ? "ok" : "exception-response";
                if (damage == Mutator.Damage.None)
                {
                    Assert.Equal([(ushort)(1000 + address), (ushort)(1001 + address), (ushort)(1002 + address)], result.Value);
                }
            }
            catch (ModbusTransportException e)
            {
                outcome = e.GetType().Name;
                Assert.True(damage != Mutator.Damage.None, $"case {i}: clean answer failed: {e}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes["ok"] > Cases / 20, string.Join(", ", outcomes));
        Assert.True(outcomes.ContainsKey(nameof(ModbusConnectionException)), string.Join(", ", outcomes));
    }

    [Fact(Timeout = 120_000)]
    public async Task MasterPduValidation_DamagedResponsePdus_OnlyFrameErrorsOrResults()
    {
        var mutator = new Mutator(seed: 77);
        var transport = new PduScriptTransport();
        await using var master = MasterOver(transport);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < Cases; i++)
        {
            var count = (ushort)mutator.Random.Next(1, 20);
            byte[] pdu = Frames.RegistersPdu(3, new ushort[count]);
            transport.Next = mutator.Random.Next(4) switch
            {
                0 => mutator.Bytes(mutator.Random.Next(0, 253)),
                1 => [.. pdu[..mutator.Random.Next(pdu.Length)]],
                2 => [.. pdu, .. mutator.Bytes(mutator.Random.Next(1, 20))],
                _ => MutateByte(pdu, mutator.Random),
            };
            string outcome;
            try
            {
                var result = await master.ReadHoldingRegistersAsync(1, 0, count, TestContext.Current.CancellationToken);
                outcome = result.IsSuccess ? "ok" : "exception-response";
            }
            catch (ModbusFrameException e)
            {
                outcome = e.Error.ToString();
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes.Count >= 5, string.Join(", ", outcomes));
    }

    [Fact(Timeout = 120_000)]
    public void MbapReader_DamagedStreams_NoEscapeAndNoGrowthWithLyingLengths()
    {
        var mutator = new Mutator(seed: 9);
        var frames = 0;
        var errors = 0;
        var reader = new MbapReader();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var readersMade = 1;
        Span<byte> chunk = stackalloc byte[600];
        for (var i = 0; i < Cases; i++)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            var length = mutator.Random.Next(2, 600);
            mutator.Random.NextBytes(chunk[..length]);
            if (mutator.Random.Next(3) == 0)
            {
                // A plausible header with a length that may lie in either direction.
                chunk[2] = chunk[3] = 0;
                chunk[4] = (byte)mutator.Random.Next(2);
            }

            var offset = 0;
            while (offset < length && reader.Error == FrameError.None)
            {
                var free = reader.FreeSpace.Span;
                var n = Math.Min(free.Length, Math.Min(length - offset, mutator.Random.Next(1, 64)));
                chunk.Slice(offset, n).CopyTo(free);
                reader.Advance(n);
                offset += n;
                while (reader.TryRead(out _, out _, out var pdu))
                {
                    Assert.InRange(pdu.Length, 1, ModbusLimits.MaxPduLength);
                    frames++;
                }
            }

            if (reader.Error != FrameError.None)
            {
                errors++;
                reader = new MbapReader();
                readersMade++;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(frames > 1000 && errors > 1000, $"{frames} frames, {errors} errors");
        // Only the readers themselves (one fixed buffer each) were allocated, whatever the length fields said.
        Assert.True(allocated < readersMade * 2400L, $"{allocated} bytes for {readersMade} readers");
    }

    [Fact(Timeout = 120_000)]
    public void SlaveHandler_RandomPdus_AlwaysAnswersWithinLimits()
    {
        var random = new Random(31337);
        var slave = TwoUnits();
        var response = new byte[ModbusLimits.MaxPduLength];
        var request = new byte[ModbusLimits.MaxPduLength];
        for (var i = 0; i < Cases; i++)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            var length = random.Next(1, ModbusLimits.MaxPduLength + 1);
            random.NextBytes(request.AsSpan(0, length));
            if (random.Next(2) == 0)
            {
                request[0] = (byte)(random.Next(1, 7) | (random.Next(2) == 0 ? 0 : 0x10));
            }

            var answer = slave.Handle((byte)random.Next(0, 4), request.AsSpan(0, length), response, serial: random.Next(2) == 0);
            if (answer > 0)
            {
                Assert.InRange(answer, 2, ModbusLimits.MaxPduLength);
                Assert.Equal(request[0] & 0x7F, response[0] & 0x7F);
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task TcpSlaveServer_DamagedFramesOverSockets_KeepsServingEveryoneElse()
    {
        var mutator = new Mutator(seed: 5);
        await using var server = ModbusSlaveServer.StartTcp(TwoUnits(), new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });
        for (var i = 0; i < 2_000; i++)
        {
            using var attacker = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await attacker.ConnectAsync(server.LocalEndpoint, TestContext.Current.CancellationToken);
            var frame = Frames.Mbap((ushort)i, 1, RandomRequestPdu(mutator.Random));
            var damaged = mutator.Random.Next(3) switch
            {
                0 => mutator.Bytes(mutator.Random.Next(1, 300)),
                1 => [.. frame[..4], (byte)mutator.Random.Next(256), (byte)mutator.Random.Next(256), .. frame[6..]],
                _ => frame[..mutator.Random.Next(frame.Length)],
            };
            await attacker.SendAsync(damaged, SocketFlags.None, TestContext.Current.CancellationToken);
            if (i % 100 == 0)
            {
                Assert.Equal([1007], (await master.ReadHoldingRegistersAsync(1, 7, 1, TestContext.Current.CancellationToken)).Value);
            }
        }

        Assert.True(server.BadFrames > 100, $"{server.BadFrames} bad frames seen");
        Assert.Equal([2007], (await master.ReadHoldingRegistersAsync(2, 7, 1, TestContext.Current.CancellationToken)).Value);
    }

    private static byte[] MutateByte(byte[] pdu, Random random)
    {
        var copy = (byte[])pdu.Clone();
        copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    private static ModbusMaster MasterOver(IModbusTransport transport) =>
        (ModbusMaster)typeof(ModbusMaster)
            .GetConstructor(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, [typeof(IModbusTransport)])!
            .Invoke([transport]);

    /// <summary>Answers every request with <see cref="Next"/>, as if it had come off the wire intact.</summary>
    private sealed class PduScriptTransport : IModbusTransport
    {
        public byte[] Next { get; set; } = [];

        public string Endpoint => "script";

        public bool UnitZeroIsBroadcast => false;

        public ValueTask ConnectAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CloseAsync() => ValueTask.CompletedTask;

        public ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
        {
            Next.CopyTo(response);
            return ValueTask.FromResult(Next.Length);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
