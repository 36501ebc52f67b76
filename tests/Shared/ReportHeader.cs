using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Facilities.Benchmarks.Shared;

/// <summary>What run.sh found out about the machine the figures come from (its --nproc, --cpu, --dotnet-sdk and --os).</summary>
internal sealed record MachineDescription(string Cores, string Cpu, string DotnetSdk, string OperatingSystem)
{
    public static MachineDescription From(CommandArguments command) =>
        new(command.Get("nproc"), command.Get("cpu"), command.Get("dotnet-sdk"), command.Get("os"));
}

/// <summary>How every benchmark's section of docs/benchmarks.md opens: its title, when and by which command it was made, the machine.</summary>
internal static class ReportHeader
{
    /// <param name="note">Appended to the paragraph on reproducing the figures (e.g. that this was a quick run); may be empty.</param>
    /// <param name="machineRows">Rows of the machine table beyond cores, CPU, OS and .NET.</param>
    public static void Append(
        StringBuilder text, string title, string command, DateTimeOffset when, string note, MachineDescription machine,
        params (string Name, string Value)[] machineRows)
    {
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"## {title}");
        Line($"");
        Line($"Generated on {when:yyyy-MM-dd HH:mm} UTC by");
        Line($"");
        Line($"    {command}");
        Line($"");
        Line($"Run the same command from the repository root to reproduce it; it rewrites this section. Every figure below");
        Line($"comes from that one run.{note}");
        Line($"");
        Line($"### Machine");
        Line($"");
        Line($"| | |");
        Line($"| --- | --- |");
        Line($"| cores (`nproc`) | {machine.Cores} |");
        Line($"| CPU (/proc/cpuinfo) | {machine.Cpu} |");
        Line($"| OS | {machine.OperatingSystem} |");
        Line($"| .NET | {RuntimeInformation.FrameworkDescription} (SDK {machine.DotnetSdk}), Release build |");
        foreach (var (name, value) in machineRows)
        {
            Line($"| {name} | {value} |");
        }

        Line($"");
    }
}
