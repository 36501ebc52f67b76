using System.Globalization;
using System.Text.Json;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>A message as the SMTP server received and decoded it (Python's email package, not ours).</summary>
internal sealed record ReceivedMail(string From, IReadOnlyList<string> To, string Subject, string Body, string ContentType);

/// <summary>
/// A real SMTP server: Debian's python3-aiosmtpd on 127.0.0.1 and a free port. A small handler decodes each message
/// with Python's email package and appends it as a JSON line to a file; it can refuse the first N messages with a
/// temporary error (451) to exercise retries.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import email, json, sys, threading
        from email import policy
        from aiosmtpd.controller import Controller

        port, out, reject = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                global reject
                with lock:
                    if reject > 0:
                        reject -= 1
                        return "451 4.3.0 try again later"
                message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                body = message.get_body(preferencelist=("plain",))
                record = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": str(message["subject"]),
                          "body": body.get_content() if body is not None else "", "contentType": message.get_content_type()}
                with lock, open(out, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
                return "250 OK"

        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        controller.start()
        print("ready", flush=True)
        threading.Event().wait()
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("smtp-sink-").FullName;
    private ChildProcess? _process;

    private SmtpSink(int port) => Port = port;

    public int Port { get; }

    private string MailFile => Path.Combine(_directory, "mail.jsonl");

    public static async Task<SmtpSink> StartAsync(CancellationToken cancellationToken, int rejectFirst = 0)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} not found: apt-get install python3 python3-aiosmtpd (the email tests need a real SMTP server)");
        }

        var sink = new SmtpSink(FreePort.Next());
        var script = Path.Combine(sink._directory, "sink.py");
        await File.WriteAllTextAsync(script, Script, cancellationToken);
        sink._process = ChildProcess.Start("SMTP sink (python3-aiosmtpd)", Python,
            [script, sink.Port.ToString(CultureInfo.InvariantCulture), sink.MailFile, rejectFirst.ToString(CultureInfo.InvariantCulture)],
            new ChildProcessOptions { StopGrace = TimeSpan.Zero });
        await sink._process.WaitForLineAsync(l => l == "ready", "its ready line (is python3-aiosmtpd installed?)", TimeSpan.FromSeconds(20), cancellationToken);
        return sink;
    }

    public async Task<IReadOnlyList<ReceivedMail>> MessagesAsync(CancellationToken cancellationToken) =>
        File.Exists(MailFile)
            ? [.. (await File.ReadAllLinesAsync(MailFile, cancellationToken)).Select(line => JsonSerializer.Deserialize<ReceivedMail>(line, JsonSerializerOptions.Web)!)]
            : [];

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
