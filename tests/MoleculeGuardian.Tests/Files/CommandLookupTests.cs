using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="CommandLookup"/> judges a command as the runtime would start it: an absolute path to an executable
/// regular file, or a bare name found in an absolute <c>PATH</c> directory; anything else says why not.
/// </summary>
public sealed class CommandLookupTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NotExecutable = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Tool(string directory, string name, UnixFileMode mode)
    {
        var dir = _temp.Combine(directory);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void WhyNotRunnable_NullCommand_Throws() =>
        Assert.Throws<ArgumentNullException>(() => CommandLookup.WhyNotRunnable(null!, "/usr/bin"));

    [Fact]
    public void WhyNotRunnable_EmptyCommand_IsEmpty() =>
        Assert.Equal("is empty", CommandLookup.WhyNotRunnable("", "/usr/bin"));

    [Theory]
    [InlineData("bin/tool")]
    [InlineData("./tool")]
    public void WhyNotRunnable_RelativePath_NeverCounts(string command)
    {
        Tool("bin", "tool", Executable);

        Assert.Equal("is a relative path, resolved from a working directory the guardian cannot see", CommandLookup.WhyNotRunnable(command, _temp.Path));
    }

    [Fact]
    public void WhyNotRunnable_AbsolutePathToAnExecutable_Runs() =>
        Assert.Null(CommandLookup.WhyNotRunnable(Tool("bin", "tool", Executable), path: null));

    [Fact]
    public void WhyNotRunnable_AbsolutePathNotExecutableOrMissingOrADirectory_IsNotAnExecutableFile()
    {
        const string Why = "is not an executable file";

        Assert.Equal(Why, CommandLookup.WhyNotRunnable(Tool("bin", "tool", NotExecutable), path: null));
        Assert.Equal(Why, CommandLookup.WhyNotRunnable(_temp.Combine("bin", "missing"), path: null));
        Assert.Equal(Why, CommandLookup.WhyNotRunnable(_temp.Combine("bin"), path: null));
    }

    [Fact]
    public void WhyNotRunnable_BareNameInALaterPathDirectory_Runs()
    {
        Tool("b", "tool", Executable);

        Assert.Null(CommandLookup.WhyNotRunnable("tool", $"{_temp.Combine("a")}:{_temp.Combine("b")}"));
    }

    [Fact]
    public void WhyNotRunnable_BareNameOnlyNotExecutableOnPath_NamesThePath()
    {
        var a = Path.GetDirectoryName(Tool("a", "tool", NotExecutable))!;
        var b = _temp.Combine("b");

        Assert.Equal($"is not on PATH ({a}:{b})", CommandLookup.WhyNotRunnable("tool", $"{a}:{b}"));
    }

    [Fact]
    public void WhyNotRunnable_BareNameInARelativePathDirectory_DoesNotCountAndIsNotNamed()
    {
        var bin = Path.GetDirectoryName(Tool("bin", "tool", Executable))!;
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, bin);
        var absolute = _temp.Combine("other");

        Assert.Equal($"is not on PATH ({absolute})", CommandLookup.WhyNotRunnable("tool", $"{relative}::{absolute}"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/bin")]
    public void WhyNotRunnable_NoAbsolutePathDirectory_SaysThePathIsEmpty(string? path) =>
        Assert.Equal("is not on PATH (empty)", CommandLookup.WhyNotRunnable("tool", path));

    [Fact]
    public void WhyNotRunnable_WithoutAPath_UsesTheProcessPath()
    {
        var path = Environment.GetEnvironmentVariable("PATH");

        Assert.Null(CommandLookup.WhyNotRunnable("sh"));
        Assert.Equal(CommandLookup.WhyNotRunnable("no-such-command-mg", path), CommandLookup.WhyNotRunnable("no-such-command-mg"));
    }
}
