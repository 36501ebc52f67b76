using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Tests;

/// <summary>Every fault of every kind changes what the device serves: registers for equipment faults, the link for communication faults.</summary>
public sealed class FaultCoverageTests
{
    public static TheoryData<string, string> EquipmentFaults()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[] { "elevator", "boiler", "charger-shed", "aed-cabinet" })
        {
            foreach (var fault in ModelTestKit.Create(kind).EquipmentFaults)
            {
                data.Add(kind, fault.Name.StartsWith("port-", StringComparison.Ordinal) || fault.Name == "abnormal-load" ? fault.Name + ":2" : fault.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EquipmentFaults))]
    public void Inject_EquipmentFault_ChangesRegistersAndClearRestores(string kind, string fault)
    {
        // Twin models evolve identically (seeded by id), so after ten minutes any difference is the fault's doing,
        // including faults that develop over time rather than flip a register.
        var model = ModelTestKit.Create(kind);
        var twin = ModelTestKit.Create(kind);
        Assert.True(model.Inject(fault, ModelTestKit.Start));
        var later = model.Run(ModelTestKit.Start, TimeSpan.FromMinutes(10));
        twin.Run(ModelTestKit.Start, TimeSpan.FromMinutes(10));
        var expected = twin.Values();
        var changed = model.Values().Where(p => expected[p.Key] != p.Value).Select(p => p.Key).ToList();
        Assert.NotEmpty(changed);
        Assert.Contains(fault, model.ActiveFaults);
        Assert.True(model.Clear(fault, later));
        Assert.Empty(model.ActiveFaults);
    }

    [Theory]
    [InlineData("comm-busy", ModbusExceptionCode.ServerDeviceBusy)]
    [InlineData("comm-failure", ModbusExceptionCode.ServerDeviceFailure)]
    public void Inject_ExceptionFault_MakesTheUnitAnswerWithIt(string fault, ModbusExceptionCode code)
    {
        var model = ModelTestKit.Create("boiler");
        model.Inject(fault, ModelTestKit.Start);
        Assert.Equal(code, model.Unit.ForcedException);
        model.Clear(fault, ModelTestKit.Start);
        Assert.Equal(ModbusExceptionCode.None, model.Unit.ForcedException);
    }

    [Fact]
    public void Inject_LinkFaults_SilenceSlowAndCorrupt()
    {
        var model = ModelTestKit.Create("aed-cabinet");
        model.Inject("comm-offline", ModelTestKit.Start);
        model.Inject("comm-slow", ModelTestKit.Start);
        model.Inject("comm-corrupt", ModelTestKit.Start);
        Assert.False(model.Unit.Online);
        Assert.Equal(TimeSpan.FromSeconds(2), model.Unit.ResponseDelay);
        Assert.True(model.Unit.CorruptResponses);
    }

    [Fact]
    public void Inject_UnknownFault_IsRefused()
    {
        var model = ModelTestKit.Create("elevator");
        Assert.False(model.Inject("smoke", ModelTestKit.Start));
        Assert.Empty(model.ActiveFaults);
    }

    [Fact]
    public void EveryKind_HasTheDomainBriefsFaults()
    {
        string[] expected =
        [
            "trapped-at-floor", "trapped-between-floors", "stopped-outside-door-zone", "door-open-while-moving", "overspeed",
            "overtravel-top", "overtravel-bottom", "safety-circuit-open", "door-lock-open", "door-fails-to-open", "door-fails-to-close",
            "floor-position-lost", "motor-runtime-limiter", "mains-power-lost", "landing-button-stuck", "passenger-alarm",
            "lockout", "flame-failure", "low-water", "high-nox", "supply-temperature-low", "over-pressure",
            "port-overcurrent", "port-over-temperature", "smoke", "mains-lost",
            "aed-removed", "self-test-failure", "low-battery", "battery-expiring", "pads-expiring", "too-hot", "too-cold",
        ];
        var all = new[] { "elevator", "boiler", "charger-shed", "aed-cabinet" }
            .SelectMany(k => ModelTestKit.Create(k).SupportedFaults.Select(f => f.Name)).ToHashSet();
        Assert.Empty(expected.Except(all));
        Assert.Contains("comm-offline", all);
    }
}
