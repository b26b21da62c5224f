using System.ComponentModel;
using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>execvp(3)'s search, with the working directory never searched.</summary>
public sealed class CommandPathTests
{
    /// <summary>Programs on the (pretend) disk: a planted python3 in the working directory /srv/app and below it, the real ones in PATH.</summary>
    private static readonly HashSet<string> Executables =
        ["/usr/local/bin/tool", "/usr/bin/python3", "/bin/python3", "/srv/app/python3", "/srv/app/app/python3"];

    /// <summary>As the real check would see a relative candidate: relative to the working directory, here /srv/app.</summary>
    private static string Resolve(string command, string? path, string workingDirectory = "/srv/app") =>
        CommandPath.Resolve(command, path, workingDirectory, p => Executables.Contains(Path.GetFullPath(p, "/srv/app")));

    [Theory]
    [InlineData("/usr/local/bin:/usr/bin:/bin", "/usr/bin/python3")]
    [InlineData("/bin:/usr/bin", "/bin/python3")]
    [InlineData("/nonexistent:/usr/bin", "/usr/bin/python3")]
    [InlineData("/usr/local/bin/:/usr/bin", "/usr/bin/python3")]
    public void Resolve_BareName_FirstDirectoryOfPathThatHasIt(string path, string expected) =>
        Assert.Equal(expected, Resolve("python3", path));

    /// <summary>execvp reads an empty entry as the working directory and a relative one as below it: both are skipped.</summary>
    [Theory]
    [InlineData(":/usr/bin")]
    [InlineData("/usr/bin:")]
    [InlineData("/usr/local/bin::/usr/bin")]
    [InlineData(".:/usr/bin")]
    [InlineData("app:/usr/bin")]
    [InlineData("./:/usr/bin")]
    public void Resolve_EmptyOrRelativeEntryBeforeTheRealOne_WorkingDirectoryNeverSearched(string path) =>
        Assert.Equal("/usr/bin/python3", Resolve("python3", path, "/srv/app"));

    [Fact]
    public void Resolve_OnlyTheWorkingDirectoryHasIt_NotFoundNamingWhatWasSearchedAndSkipped()
    {
        var ex = Assert.Throws<Win32Exception>(() => Resolve("python3", ".:/usr/local/bin::app", "/srv/app"));

        Assert.Equal(2, ex.NativeErrorCode);
        Assert.Equal("'python3' is in no directory of PATH (/usr/local/bin; skipped '.', '', 'app': not absolute, so relative to the working directory)", ex.Message);
    }

    [Fact]
    public void Resolve_NotFound_NamesTheDirectoriesSearched() =>
        Assert.Equal("'nope' is in no directory of PATH (/usr/local/bin:/usr/bin)",
            Assert.Throws<Win32Exception>(() => Resolve("nope", "/usr/local/bin:/usr/bin")).Message);

    /// <summary>Unset PATH: execvp's own default, /bin:/usr/bin (glibc's _CS_PATH).</summary>
    [Fact]
    public void Resolve_PathUnset_ExecvpsDefault()
    {
        Assert.Equal("/bin/python3", Resolve("python3", null));
        Assert.Equal("'tool' is in no directory of PATH (/bin:/usr/bin)", Assert.Throws<Win32Exception>(() => Resolve("tool", null)).Message);
    }

    [Fact]
    public void Resolve_PathEmpty_NothingSearched() =>
        Assert.Equal("'python3' is in no directory of PATH (; skipped '': not absolute, so relative to the working directory)",
            Assert.Throws<Win32Exception>(() => Resolve("python3", "")).Message);

    /// <summary>A name with a '/' is used as given: no search; a relative one is relative to where the child starts, not normalized.</summary>
    [Theory]
    [InlineData("/opt/runtime/start", "/srv/app", "/opt/runtime/start")]
    [InlineData("./python3", "/srv/app", "/srv/app/./python3")]
    [InlineData("bin/start", "/", "/bin/start")]
    [InlineData("link/../start", "/srv", "/srv/link/../start")]
    public void Resolve_NameWithASlash_UsedAsGiven(string command, string workingDirectory, string expected) =>
        Assert.Equal(expected, CommandPath.Resolve(command, "/usr/bin", workingDirectory, _ => false));

    [Fact]
    public void Resolve_Empty_NotFound() =>
        Assert.Equal(2, Assert.Throws<Win32Exception>(() => Resolve("", "/usr/bin")).NativeErrorCode);
}
