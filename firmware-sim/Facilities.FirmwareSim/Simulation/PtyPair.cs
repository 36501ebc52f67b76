using System.Diagnostics;

namespace Facilities.FirmwareSim.Simulation;

/// <summary>
/// A connected pair of pseudo-terminals made by socat: the simulator serves one end, a master opens the other
/// (<see cref="Link"/>), exactly as it would open /dev/ttyUSB0.
/// </summary>
internal sealed class PtyPair : IAsyncDisposable
{
    private readonly Process _socat;

    private PtyPair(Process socat, string link, string simulatorEnd)
    {
        _socat = socat;
        Link = link;
        SimulatorEnd = simulatorEnd;
    }

    public string Link { get; }

    public string SimulatorEnd { get; }

    public static async Task<PtyPair> CreateAsync(string link, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(link))!;
        Directory.CreateDirectory(directory);
        var simulatorEnd = link + ".sim";
        File.Delete(link);
        File.Delete(simulatorEnd);
        var start = new ProcessStartInfo("socat")
        {
            ArgumentList = { "-d", $"pty,raw,echo=0,link={simulatorEnd}", $"pty,raw,echo=0,link={link}" },
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process socat;
        try
        {
            socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Serial line {link} needs socat (apt-get install socat): {e.Message}", e);
        }

        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (!(File.Exists(link) && File.Exists(simulatorEnd)))
        {
            if (socat.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                var error = socat.HasExited ? await socat.StandardError.ReadToEndAsync(cancellationToken) : "timed out";
                socat.Kill();
                socat.Dispose();
                throw new InvalidOperationException($"socat could not create the pty pair at {link}: {error.Trim()}");
            }

            await Task.Delay(10, cancellationToken);
        }

        return new PtyPair(socat, link, simulatorEnd);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_socat.HasExited)
        {
            _socat.Kill();
            await _socat.WaitForExitAsync();
        }

        _socat.Dispose();
    }
}
