namespace MoleculeGuardian.Tests.Support;

/// <summary>Bounded waits: poll a condition until it holds or the deadline passes. Never a bare sleep.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Waits for the condition, then asserts it still holds a short while later (no flapping).</summary>
    public static async Task StaysTrueAsync(Func<bool> condition, string what, TimeSpan hold)
    {
        var until = DateTime.UtcNow + hold;
        while (DateTime.UtcNow < until)
        {
            Assert.True(condition(), $"Condition stopped holding: {what}");
            await Task.Delay(10);
        }
    }
}
