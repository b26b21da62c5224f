using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.DeployTests;

/// <summary>
/// podman as a command, with the deploy tests' settings (deploy/test/containers.conf: runc, ulimits the host allows).
/// Every call is bounded; a failing call fails the test with what podman said.
/// </summary>
internal static class Podman
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(1);

    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["CONTAINERS_CONF"] = RepoPaths.Of("deploy", "test", "containers.conf"),
    };

    /// <summary>Runs podman; returns its exit code and output (stdout, stderr) without judging them.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> TryAsync(TimeSpan timeout, params string[] arguments)
    {
        using var podman = ProcessRunner.Start("podman", arguments, Environment);
        var exitCode = await podman.WaitForExitAsync(timeout);
        return (exitCode, podman.StandardOutput, podman.StandardError);
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> TryAsync(params string[] arguments) => TryAsync(DefaultTimeout, arguments);

    /// <summary>Runs podman and fails the test unless it exits 0; returns its stdout.</summary>
    public static async Task<string> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await TryAsync(timeout, arguments);
        Assert.True(exitCode == 0, $"podman {string.Join(' ', arguments)} exited {exitCode}:\n{stderr}\n{Tail(stdout)}");
        return stdout;
    }

    public static Task<string> RunAsync(params string[] arguments) => RunAsync(DefaultTimeout, arguments);

    /// <summary>A shell command in a running container, as root unless <paramref name="user"/> says otherwise.</summary>
    public static Task<string> ExecAsync(string container, string command, string? user = null) =>
        RunAsync(user is null ? ["exec", container, "sh", "-c", command] : ["exec", "--user", user, container, "sh", "-c", command]);

    public static async Task<bool> ImageExistsAsync(string image) => (await TryAsync("image", "exists", image)).ExitCode == 0;

    private static string Tail(string text) => text.Length <= 4000 ? text : "...\n" + text[^4000..];
}
