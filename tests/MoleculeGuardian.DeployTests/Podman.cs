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

    /// <summary>
    /// Runs podman and hands each line of its stdout to <paramref name="onLine"/> as it comes, keeping none (for
    /// `podman logs` of a container that printed hundreds of megabytes); fails the test unless podman exits 0.
    /// </summary>
    public static async Task StreamAsync(Action<string> onLine, TimeSpan timeout, params string[] arguments)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment)
        {
            startInfo.Environment[name] = value;
        }

        using var podman = System.Diagnostics.Process.Start(startInfo)!;
        using var cts = new CancellationTokenSource(timeout);
        var stderr = podman.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            while (await podman.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                onLine(line);
            }

            await podman.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!podman.HasExited)
            {
                podman.Kill(entireProcessTree: true);
            }
        }

        Assert.True(podman.ExitCode == 0, $"podman {string.Join(' ', arguments)} exited {podman.ExitCode}:\n{await stderr}");
    }

    public static async Task<bool> ImageExistsAsync(string image) => (await TryAsync("image", "exists", image)).ExitCode == 0;

    private static string Tail(string text) => text.Length <= 4000 ? text : "...\n" + text[^4000..];
}
