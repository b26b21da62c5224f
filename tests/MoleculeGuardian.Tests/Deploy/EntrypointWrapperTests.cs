using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Deploy;

/// <summary>
/// deploy/container/guardian-entrypoint.sh run as a real process around stand-ins (see <see cref="WrapperSandbox"/>).
/// Every wait is a bounded poll on the stand-ins' log or on the wrapper's exit.
/// </summary>
public sealed class EntrypointWrapperTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly WrapperSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>
    /// Every shell script in the repository (found, not listed, so a new one cannot slip past): the wrapper, the deploy
    /// stage and its stand-ins, the benchmark and load scripts, CI.
    /// </summary>
    public static TheoryData<string> ShellScripts()
    {
        var skip = new[] { "/bin/", "/obj/", "/.git/", "/artifacts/", "/StrykerOutput/", "/TestResults/" };
        var scripts = Directory.EnumerateFiles(RepoPaths.Root, "*.sh", SearchOption.AllDirectories)
            .Select(p => "/" + Path.GetRelativePath(RepoPaths.Root, p))
            .Where(p => !skip.Any(s => p.Contains(s, StringComparison.Ordinal)))
            .Select(p => p[1..])
            .Append(".ci/run")
            .Order(StringComparer.Ordinal);
        return [.. scripts];
    }

    [RequiresTheory("shellcheck")]
    [MemberData(nameof(ShellScripts))]
    public async Task Shellcheck_ShellScript_IsClean(string script)
    {
        var shellcheck = RequiredTool.Find("shellcheck", "shellcheck");

        var (exitCode, output) = await ProcessRunner.RunToolAsync(shellcheck, "--shell=bash", RepoPaths.Of(script.Split('/')));

        Assert.True(exitCode == 0, $"shellcheck {script} exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task Entrypoint_Starts_HealsBeforeTheRuntimeStarts()
    {
        _sandbox.Start();

        await _sandbox.WaitUntilAsync(() => _sandbox.Logged("runtime-start "), "the runtime to start");

        var lines = _sandbox.LogLines();
        Assert.True(lines[0].StartsWith("heal ", StringComparison.Ordinal), _sandbox.Describe());
        Assert.Contains(lines, line => line.StartsWith("runtime-start heal-seen ", StringComparison.Ordinal));
        await StopAsync();
    }

    [Fact]
    public async Task Entrypoint_HealFails_StartsTheRuntimeAnyway()
    {
        _sandbox.Start(("STANDIN_HEAL_EXIT", "1"));

        await _sandbox.WaitUntilAsync(() => _sandbox.Logged("runtime-start ") && _sandbox.Logged("run-start "), "the runtime and the guardian to start");

        await WaitForOutputAsync("guardian-entrypoint: startup heal failed (status 1)");
        await StopAsync();
    }

    /// <summary>An invalid configuration fails the heal with 78; the wrapper must not promise retries it will not make.</summary>
    [Fact]
    public async Task Entrypoint_HealExits78_SaysInvalidConfigurationNotRetrying()
    {
        _sandbox.Start(("STANDIN_HEAL_EXIT", "78"));

        await _sandbox.WaitUntilAsync(() => _sandbox.Logged("runtime-start "), "the runtime to start");

        await WaitForOutputAsync("guardian-entrypoint: startup heal failed: invalid configuration (status 78)");
        Assert.DoesNotContain("retries", _sandbox.Wrapper.Output, StringComparison.Ordinal);
        await StopAsync();
    }

    [Fact]
    public async Task Entrypoint_GuardianKilled_StartsANewGuardian()
    {
        _sandbox.Start();
        await _sandbox.WaitUntilAsync(() => _sandbox.RunStartPids().Count == 1, "the guardian to start");
        var first = _sandbox.RunStartPids()[0];

        Posix.Kill(first, Posix.SigKill);

        await _sandbox.WaitUntilAsync(() => _sandbox.RunStartPids().Count == 2, "a second guardian to start");
        Assert.NotEqual(first, _sandbox.RunStartPids()[1]);
        await WaitForOutputAsync("restarting it in 1s");
        await StopAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task Entrypoint_Sigterm_StopsBothAndExitsWithTheRuntimeStatus(int runtimeStatusOnTerm)
    {
        var wrapper = _sandbox.Start(("STANDIN_RUNTIME_TERM_EXIT", runtimeStatusOnTerm.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await _sandbox.WaitUntilAsync(() => _sandbox.Logged("runtime-start ") && _sandbox.Logged("run-start "), "the runtime and the guardian to start");
        var guardian = _sandbox.RunStartPids()[0];

        Posix.Kill(wrapper.Id, Posix.SigTerm);
        var exitCode = await wrapper.WaitForExitAsync(ExitTimeout);

        Assert.True(exitCode == runtimeStatusOnTerm, $"wrapper exited {exitCode}\n{_sandbox.Describe()}");
        Assert.True(_sandbox.Logged("runtime-stop "), _sandbox.Describe());
        Assert.True(_sandbox.Logged($"run-stop {guardian}"), _sandbox.Describe());
    }

    [Fact]
    public async Task Entrypoint_RuntimeExitsOnItsOwn_StopsTheGuardianAndExitsWithTheRuntimeStatus()
    {
        var wrapper = _sandbox.Start(("STANDIN_RUNTIME_EXIT", "3"));

        var exitCode = await wrapper.WaitForExitAsync(ExitTimeout);

        Assert.True(exitCode == 3, $"wrapper exited {exitCode}\n{_sandbox.Describe()}");
        var guardian = Assert.Single(_sandbox.RunStartPids());
        Assert.True(_sandbox.Logged($"run-stop {guardian}"), _sandbox.Describe());
    }

    [Fact]
    public async Task Entrypoint_GuardianExits78_IsNotRestarted()
    {
        var wrapper = _sandbox.Start(("STANDIN_RUN_EXIT", "78"));
        await _sandbox.WaitUntilAsync(() => wrapper.Output.Contains("not restarting it", StringComparison.Ordinal), "the wrapper to give up on the guardian");

        // A restart would come 1 s after the exit (the back-off is pinned to 1 s); give it more than twice that.
        var restarted = await Eventually.WithinAsync(() => _sandbox.RunStartPids().Count > 1, TimeSpan.FromSeconds(2.5));

        Assert.False(restarted, _sandbox.Describe());
        Assert.False(wrapper.Output.Contains("restarting it in", StringComparison.Ordinal), _sandbox.Describe());
        Posix.Kill(wrapper.Id, Posix.SigTerm);
        Assert.Equal(0, await wrapper.WaitForExitAsync(ExitTimeout));
        Assert.True(_sandbox.Logged("runtime-stop "), "the runtime kept running after the guardian gave up\n" + _sandbox.Describe());
    }

    [Fact]
    public async Task Entrypoint_NoRuntimeCommand_ExitsWithUsageError()
    {
        var bash = RequiredTool.Find("bash", "bash");

        var (exitCode, output) = await ProcessRunner.RunToolAsync(bash, WrapperSandbox.WrapperPath);

        Assert.Equal(2, exitCode);
        Assert.Contains("guardian-entrypoint: usage:", output, StringComparison.Ordinal);
    }

    private async Task StopAsync()
    {
        Posix.Kill(_sandbox.Wrapper.Id, Posix.SigTerm);
        Assert.Equal(0, await _sandbox.Wrapper.WaitForExitAsync(ExitTimeout));
    }

    /// <summary>
    /// The wrapper's stderr reaches us through a pipe read asynchronously, so a line it printed before the stand-ins
    /// logged can still be in flight when their log shows it: wait for the line (bounded) instead of asserting on the spot.
    /// </summary>
    private Task WaitForOutputAsync(string text) =>
        _sandbox.WaitUntilAsync(() => _sandbox.Wrapper.Output.Contains(text, StringComparison.Ordinal), $"the wrapper to print '{text}'");
}
