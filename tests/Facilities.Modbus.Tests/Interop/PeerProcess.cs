using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// An independent Modbus implementation running as a child process: a long-running peer whose stdout is read line by
/// line (<see cref="Start"/>), or a one-shot command (<see cref="RunAsync"/>). Every failure message carries what the
/// peer printed, so a broken peer explains itself in the test output.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _transcript = new();

    private PeerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with its stdin kept open (peers that watch stdin exit when it closes).</summary>
    public static PeerProcess Start(string name, string fileName, IEnumerable<string> arguments)
    {
        InteropTools.Require(fileName);
        var process = new Process { StartInfo = StartInfo(fileName, arguments), EnableRaisingEvents = true };
        var peer = new PeerProcess(name, process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                peer._stdout.Writer.TryComplete();
                return;
            }

            lock (peer._transcript)
            {
                peer._transcript.AppendLine(e.Data);
            }

            peer._stdout.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (peer._stderr)
                {
                    peer._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Runs <paramref name="fileName"/> to completion; fails the test if it runs longer than <paramref name="timeout"/>.</summary>
    public static async Task<PeerRun> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        InteropTools.Require(fileName);
        var startInfo = StartInfo(fileName, arguments);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Describe(startInfo)} did not finish within {timeout.TotalSeconds:0} s");
        }

        return new PeerRun(Describe(startInfo), process.ExitCode, await stdout, await stderr);
    }

    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
        }
        catch (IOException e)
        {
            Assert.Fail($"{Name}: cannot write to the peer ({e.Message}).{Report()}");
        }
    }

    /// <summary>The next line the peer prints on stdout.</summary>
    public Task<string> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForLineAsync(_ => true, "a line", timeout, cancellationToken);

    /// <summary>Reads stdout until a line matches, skipping the others; fails if the peer exits or stays silent.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await foreach (var line in _stdout.Reader.ReadAllAsync(deadline.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"{Name}: waited {timeout.TotalSeconds:0.#} s for {what} in vain.{Report()}");
        }

        await WaitForExitQuietlyAsync();
        Assert.Fail($"{Name} exited (code {ExitCodeText()}) before printing {what}.{Report()}");
        return "";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Closing stdin asks the peer to leave; a peer that does not is killed.
                _process.StandardInput.Close();
                using var grace = new CancellationTokenSource(ExitGrace);
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Stops the peer at once, as a crashed device would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    private async Task WaitForExitQuietlyAsync()
    {
        using var grace = new CancellationTokenSource(ExitGrace);
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            // Report what there is.
        }
    }

    private string ExitCodeText() => _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";

    private string Report()
    {
        string transcript;
        lock (_transcript)
        {
            transcript = _transcript.ToString();
        }

        return $"\n--- {Name} stdout ---\n{Tail(transcript)}\n--- {Name} stderr ---\n{Tail(Stderr)}";
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Python must not buffer the lines a test waits for.
        startInfo.Environment["PYTHONUNBUFFERED"] = "1";
        return startInfo;
    }

    private static string Describe(ProcessStartInfo startInfo) => $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}";
}

/// <summary>What a one-shot peer command printed and how it ended.</summary>
internal sealed record PeerRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"{Command}\nexit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
