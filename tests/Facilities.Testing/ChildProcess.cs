using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Facilities.Testing;

/// <summary>How a <see cref="ChildProcess"/> starts and stops; the defaults suit most programs.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>Variables set for the child, on top of this process's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Removes this process's DOTNET_* settings (but DOTNET_ROOT) so the child runs with only the ones it is given.</summary>
    public bool OnlyGivenRuntimeSettings { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Keeps the child's stdin open for <see cref="ChildProcess.WriteLineAsync"/>; closing it, rather than SIGTERM,
    /// then asks the child to stop (peers that watch stdin exit when it closes).
    /// </summary>
    public bool KeepInputOpen { get; init; }

    /// <summary>How long a stopping child may take after it was asked to stop, before it and its children are killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>What a program run to completion by <see cref="ChildProcess.RunAsync"/> printed and how it ended.</summary>
public sealed record ChildProcessRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Throws with the command and everything it printed unless it exited with 0.</summary>
    public ChildProcessRun EnsureSuccess() => ExitCode == 0 ? this : throw new InvalidOperationException($"{this}");

    public override string ToString() => $"{Command}\nexit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// A program the tests or benchmarks run beside themselves (a broker, a database, a Modbus peer, the gateway). Its
/// stdout and stderr are kept, so every failure — it exited, it never got ready — quotes what it printed last; stdout
/// lines can be awaited in order (<see cref="WaitForLineAsync"/>). Disposing stops it: SIGTERM (or closing its stdin),
/// then, after <see cref="ChildProcessOptions.StopGrace"/>, a kill of its whole process tree.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 2000;

    private readonly Process _process;
    private readonly ChildProcessOptions _options;
    private readonly ConcurrentQueue<string> _output = new();
    // Bounded so a chatty child nobody reads from (a gateway logging for minutes) does not grow without end.
    private readonly Channel<string> _stdout = Channel.CreateBounded<string>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private ChildProcess(string name, Process process, ChildProcessOptions options)
    {
        Name = name;
        _process = process;
        _options = options;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The lines printed so far on stdout and stderr as they arrived (the last 2000).</summary>
    public IReadOnlyCollection<string> Output => _output.ToArray();

    /// <summary>Starts <paramref name="program"/>; throws if it cannot be started (a missing program names itself).</summary>
    public static ChildProcess Start(string name, string program, IEnumerable<string> arguments, ChildProcessOptions? options = null)
    {
        options ??= new ChildProcessOptions();
        var process = new Process { StartInfo = StartInfo(program, arguments, options, options.KeepInputOpen) };
        var child = new ChildProcess(name, process, options);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._stdout.Writer.TryComplete();
                return;
            }

            child.Keep(e.Data);
            child._stdout.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child.Keep(e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"{name}: cannot start {program}: {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs <paramref name="program"/> to completion and returns what it printed; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<ChildProcessRun> RunAsync(
        string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, ChildProcessOptions? options = null)
    {
        var startInfo = StartInfo(program, arguments, options ?? new ChildProcessOptions(), redirectInput: true);
        var command = $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}";
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {command}");
        process.StandardInput.Close();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return new ChildProcessRun(command, process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Reads stdout lines in order until one matches and returns it; a later call goes on after it. Throws, quoting
    /// the output, if the child exits first or nothing matches within <paramref name="patience"/>.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(patience);
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
            throw new TimeoutException($"{Name}: waited {patience.TotalSeconds:0.#} s for {what} in vain.{Report()}");
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        throw new InvalidOperationException($"{Name} exited (code {ExitCodeText()}) before printing {what}.{Report()}");
    }

    /// <summary>The next line on stdout.</summary>
    public Task<string> ReadLineAsync(TimeSpan patience, CancellationToken cancellationToken) =>
        WaitForLineAsync(_ => true, "a line", patience, cancellationToken);

    /// <summary>Waits until something listens on 127.0.0.1:<paramref name="port"/>; throws, quoting the output, if the child exits first.</summary>
    public Task WaitForPortAsync(int port, TimeSpan patience, CancellationToken cancellationToken) =>
        WaitUntilReadyAsync(ct => FreePort.IsListeningAsync(port, ct), $"a listener on port {port}", patience, cancellationToken);

    /// <summary>Polls <paramref name="ready"/> until it holds; throws, quoting the output, if the child exits first or time runs out.</summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> ready, string what, TimeSpan patience, CancellationToken cancellationToken)
    {
        try
        {
            await Eventually.HoldsAsync(
                async () => HasExited
                    ? throw new InvalidOperationException($"{Name} exited (code {ExitCodeText()}) before {what}.{Report()}")
                    : await ready(cancellationToken),
                what, patience, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Name}: {e.Message}.{Report()}", e);
        }
    }

    /// <summary>Writes a line to the child's stdin (started with <see cref="ChildProcessOptions.KeepInputOpen"/>).</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"{Name}: cannot write to its stdin ({e.Message}).{Report()}", e);
        }
    }

    /// <summary>The last lines of output, for error messages.</summary>
    public string Tail(int lines = 30) => string.Join('\n', _output.TakeLast(lines));

    /// <summary>Sends a signal (INT, TERM, …) as <c>kill -SIGNAL</c> does.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>Waits for the child to exit; false if it is still running after <paramref name="patience"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan patience, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(patience);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Kills the child and its children at once (SIGKILL), as a power cut or a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Asks the child to stop (SIGTERM, or closing its stdin), and kills it if it is still there after the grace.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (_options.StopGrace > TimeSpan.Zero)
        {
            if (_options.KeepInputOpen)
            {
                _process.StandardInput.Close();
            }
            else
            {
                await SignalAsync("TERM");
            }

            if (await WaitForExitAsync(_options.StopGrace, CancellationToken.None))
            {
                return;
            }
        }

        await KillAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
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

    private static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, ChildProcessOptions options, bool redirectInput)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.WorkingDirectory is { } directory)
        {
            start.WorkingDirectory = directory;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (options.OnlyGivenRuntimeSettings)
        {
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) && k != "DOTNET_ROOT").ToList())
            {
                start.Environment.Remove(name);
            }
        }

        // Python must not buffer the lines a test waits for.
        start.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var (key, value) in options.Environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    private void Keep(string line)
    {
        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    private string ExitCodeText() => _process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running";

    private string Report() => $"\n--- {Name}: last lines of output ---\n{Tail()}";
}
