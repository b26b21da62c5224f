using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Deploy;

/// <summary>Every shell script in the repository passes shellcheck.</summary>
public sealed class ShellScriptTests
{
    /// <summary>
    /// Every shell script (found, not listed, so a new one cannot slip past): the deploy stage and its stand-ins,
    /// the benchmark and load scripts, CI.
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
}
