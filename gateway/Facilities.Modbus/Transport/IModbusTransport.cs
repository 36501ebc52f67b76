namespace Facilities.Modbus.Transport;

/// <summary>Carries one request PDU to a unit and brings back its response PDU. Framing lives behind this line.</summary>
internal interface IModbusTransport : IAsyncDisposable
{
    /// <summary>Where the transport talks to, for error messages ("tcp://10.0.0.5:502", "rtu:/dev/ttyUSB0").</summary>
    string Endpoint { get; }

    /// <summary>True on serial framings, where unit 0 is a broadcast that no device answers.</summary>
    bool UnitZeroIsBroadcast { get; }

    /// <summary>Opens the connection now instead of on the first request.</summary>
    ValueTask ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Closes the connection; the next request opens a new one.</summary>
    ValueTask CloseAsync();

    /// <summary>Sends <paramref name="request"/> and copies the matching response PDU into <paramref name="response"/>.</summary>
    /// <returns>The response PDU length, or 0 for a broadcast.</returns>
    ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken);
}
