using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Facilities.FirmwareSim.Simulation;

/// <summary>
/// A pseudo-terminal made with libc alone (posix_openpt, grantpt, unlockpt, ptsname): the simulator reads and writes
/// the master side through this stream, and a master device opens <see cref="Link"/>, a symlink to the slave side
/// (/dev/pts/N), exactly as it would open /dev/ttyUSB0. Nothing needs to be installed, unlike a socat pair.
/// </summary>
/// <remarks>
/// The slave side starts in raw mode: otherwise the line discipline would echo requests back and mangle bytes such as
/// CR and 0x7F. While no master device has it open, the master side polls as hung up (and reads EIO); that is waited
/// out. A pty keeps no parity bit, and System.IO.Ports refuses to open a line whose settings its request would not
/// change (it takes that for a failed tcsetattr): after one opening with even parity the next one would fail. So when
/// the last master device closes the line, the CLOCAL flag every System.IO.Ports opening sets is cleared again —
/// never while a device has it open, where changing the settings disturbed the traffic. Reading runs on one thread of
/// its own that waits in poll(2) (as System.IO.Ports does for a real port), so stopping never waits on a blocked read.
/// </remarks>
internal sealed partial class LibcPty : Stream
{
    private const int ORdwr = 0x2;
    private const int ONoctty = 0x100;
    private const int ONonblock = 0x800;
    private const int FGetfl = 3;
    private const int FSetfl = 4;
    private const int TcsaNow = 0;
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;
    private const short PollHup = 0x10;
    private const int EIntr = 4;
    private const int EIo = 5;
    private const int EAgain = 11;
    private const int PollMilliseconds = 100;
    private const int TermiosSize = 256; // larger than struct termios on every Linux ABI; only libc reads its fields

    private const uint CLocal = 0x800;
    private const int CFlagOffset = 8; // struct termios: c_iflag, c_oflag, c_cflag (tcflag_t, 32 bits each)

    private readonly int _master;
    private readonly Thread _reader;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private ReadOnlyMemory<byte> _pending;
    private volatile bool _closing;

    private LibcPty(int master, string slavePath, string link)
    {
        _master = master;
        SlavePath = slavePath;
        Link = link;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"pty {link}" };
        _reader.Start();
    }

    /// <summary>The path a master device opens (a symlink to <see cref="SlavePath"/>).</summary>
    public string Link { get; }

    /// <summary>The slave side, /dev/pts/N.</summary>
    public string SlavePath { get; }

    /// <summary>Makes a pty and the symlink <paramref name="link"/> to its slave side (replacing an old link).</summary>
    public static unsafe LibcPty Open(string link)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException($"Serial line {link}: libc pseudo-terminals are made on Linux only; use \"pty\": \"socat\" elsewhere");
        }

        var master = posix_openpt(ORdwr | ONoctty);
        if (master < 0)
        {
            throw Failure(link, "posix_openpt");
        }

        var slave = -1;
        try
        {
            if (grantpt(master) != 0)
            {
                throw Failure(link, "grantpt");
            }

            if (unlockpt(master) != 0)
            {
                throw Failure(link, "unlockpt");
            }

            var name = stackalloc byte[128];
            var error = ptsname_r(master, name, 128);
            if (error != 0)
            {
                throw new InvalidOperationException($"Serial line {link}: ptsname_r failed (errno {error})");
            }

            var slavePath = Marshal.PtrToStringUTF8((nint)name)!;
            slave = open(slavePath, ORdwr | ONoctty);
            if (slave < 0)
            {
                throw Failure(link, $"open {slavePath}");
            }

            MakeRaw(slave, link);
            _ = close(slave);
            slave = -1;
            if (fcntl(master, FSetfl, fcntl(master, FGetfl, 0) | ONonblock) != 0)
            {
                throw Failure(link, "fcntl O_NONBLOCK");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(link))!);
            File.Delete(link);
            File.CreateSymbolicLink(link, slavePath);
            return new LibcPty(master, slavePath, link);
        }
        catch
        {
            if (slave >= 0)
            {
                _ = close(slave);
            }

            _ = close(master);
            throw;
        }
    }

    private static unsafe void MakeRaw(int fd, string link)
    {
        var termios = stackalloc byte[TermiosSize];
        if (tcgetattr(fd, termios) != 0)
        {
            throw Failure(link, "tcgetattr");
        }

        cfmakeraw(termios);
        if (tcsetattr(fd, TcsaNow, termios) != 0)
        {
            throw Failure(link, "tcsetattr");
        }
    }

    /// <summary>Clears CLOCAL once the line is closed, so that the next System.IO.Ports opening changes something (see the remarks).</summary>
    private unsafe void ForgetOpeningSettings()
    {
        var slave = open(SlavePath, ORdwr | ONoctty | ONonblock);
        if (slave < 0)
        {
            return;
        }

        var termios = stackalloc byte[TermiosSize];
        if (tcgetattr(slave, termios) == 0 && (*(uint*)(termios + CFlagOffset) & CLocal) != 0)
        {
            *(uint*)(termios + CFlagOffset) &= ~CLocal;
            _ = tcsetattr(slave, TcsaNow, termios);
        }

        _ = close(slave);
    }

    private static InvalidOperationException Failure(string link, string call) =>
        new($"Serial line {link}: {call} failed: {Marshal.GetLastPInvokeErrorMessage()} (errno {Marshal.GetLastPInvokeError()})");

    private unsafe void ReadLoop()
    {
        var buffer = new byte[4096];
        var hungUp = false;
        while (!_closing)
        {
            var descriptor = new PollDescriptor { Fd = _master, Events = PollIn };
            var ready = poll(&descriptor, 1, PollMilliseconds);
            if (ready <= 0)
            {
                hungUp &= ready < 0;
                continue;
            }

            if ((descriptor.Revents & PollHup) != 0)
            {
                // No master device has the line open (before the first one, or the last one closed it).
                if (!hungUp)
                {
                    hungUp = true;
                    ForgetOpeningSettings();
                }

                Thread.Sleep(PollMilliseconds); // poll does not wait while hung up
                continue;
            }

            hungUp = false;
            nint count;
            fixed (byte* data = buffer)
            {
                count = read(_master, data, buffer.Length);
            }

            if (count > 0)
            {
                _received.Writer.TryWrite(buffer.AsSpan(0, (int)count).ToArray());
            }
            else if (count < 0 && Marshal.GetLastPInvokeError() is not (EAgain or EIntr or EIo))
            {
                break;
            }
        }

        _received.Writer.TryComplete();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pending.IsEmpty)
        {
            if (!await _received.Reader.WaitToReadAsync(cancellationToken) || !_received.Reader.TryRead(out var chunk))
            {
                return 0;
            }

            _pending = chunk;
        }

        var count = Math.Min(buffer.Length, _pending.Length);
        _pending[..count].CopyTo(buffer);
        _pending = _pending[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The pty is read asynchronously (ReadAsync).");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>
    /// Writes into the pty's buffer (a few kilobytes; Modbus frames are at most 256 bytes). When nobody drains the
    /// slave side for a while the rest is dropped, as bytes on a line nobody listens to are.
    /// </summary>
    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        fixed (byte* start = buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                var count = write(_master, start + written, buffer.Length - written);
                if (count > 0)
                {
                    written += (int)count;
                    continue;
                }

                var error = Marshal.GetLastPInvokeError();
                if (count < 0 && error == EIntr)
                {
                    continue;
                }

                if (count < 0 && error != EAgain)
                {
                    throw new IOException($"Serial line {Link}: write failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }

                var descriptor = new PollDescriptor { Fd = _master, Events = PollOut };
                if (poll(&descriptor, 1, PollMilliseconds * 10) <= 0)
                {
                    return;
                }
            }
        }
    }

    public override void Flush()
    {
    }

    public override bool CanRead => !_closing;

    public override bool CanWrite => !_closing;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_closing)
        {
            _closing = true;
            if (disposing)
            {
                _reader.Join();
            }

            _ = close(_master);
            try
            {
                if (File.ResolveLinkTarget(Link, returnFinalTarget: false)?.FullName == SlavePath)
                {
                    File.Delete(Link);
                }
            }
            catch (IOException)
            {
                // Someone replaced the link meanwhile: it is theirs.
            }
        }

        base.Dispose(disposing);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int posix_openpt(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int grantpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int unlockpt(int fd);

    [LibraryImport("libc")]
    private static unsafe partial int ptsname_r(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc")]
    private static unsafe partial void cfmakeraw(byte* termios);
}
