namespace MoleculeGuardian.Tests.Support;

/// <summary>Bounded waits: poll a condition until it holds or the deadline passes. Never a bare sleep.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Fails the test, naming <paramref name="what"/> and any <paramref name="context"/>, unless the condition comes to hold.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? context = null)
    {
        if (!await WithinAsync(condition, timeout ?? DefaultTimeout))
        {
            Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for: {what}\n{context?.Invoke()}");
        }
    }

    /// <summary>True as soon as the condition holds, false when the timeout passes first.</summary>
    public static async Task<bool> WithinAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    /// <summary>The same for a condition that has to ask another process (podman, systemctl); polled every 100 ms.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? context = null)
    {
        if (!await WithinAsync(condition, timeout ?? DefaultTimeout))
        {
            Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for: {what}\n{(context is null ? "" : await context())}");
        }
    }

    public static async Task<bool> WithinAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }
}
