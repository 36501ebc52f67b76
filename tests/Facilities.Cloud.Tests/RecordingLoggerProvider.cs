using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Facilities.Cloud.Tests;

/// <summary>Keeps every formatted log line, for tests that assert what the cloud says.</summary>
internal sealed class RecordingLoggerProvider(ConcurrentQueue<string> log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new RecordingLogger(log);

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(ConcurrentQueue<string> log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Enqueue(formatter(state, exception));
    }
}
