using System.Net.Sockets;
using System.Text;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// A service manager's notify socket (what systemd passes in <c>NOTIFY_SOCKET</c>): the guardian sends READY=1 once
/// its start, the startup heal included, is done. Writable by everyone, since a root guardian may be uid 1000 by then.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public NotifySocket(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("666", 8));
    }

    public string Path { get; }

    /// <summary>Waits for a datagram with <paramref name="wanted"/> on a line of its own; fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(string wanted, TimeSpan timeout, Func<string> context)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No '{wanted}' on the notify socket within {timeout.TotalSeconds} s:\n{context()}");
                throw;
            }

            if (Encoding.UTF8.GetString(buffer, 0, n).Split('\n').Contains(wanted, StringComparer.Ordinal))
            {
                return;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
