using System.Globalization;
using System.Runtime.InteropServices;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// What the privilege tests need to act as an ordinary user (uid/gid 1000, with or without a user-database entry)
/// from a test process that is root: the guardian binary somewhere that user can load it from, and processes started
/// as that user through <c>setpriv</c>.
/// </summary>
internal static class OtherUser
{
    public const uint Id = 1000;

    private static readonly Lazy<string> Binary = new(FindOrCopyBinary);

    /// <summary>
    /// The guardian binary, in a directory every user can read: a guardian that switches to uid 1000 still loads
    /// assemblies afterwards, and a checkout under /root (mode 0700) would be out of its reach.
    /// </summary>
    /// <remarks>
    /// <c>MG_TEST_GUARDIAN_BINARY</c> points the privilege tests at another build, which is how an older guardian was
    /// shown to lose to the attacks these tests make.
    /// </remarks>
    public static string GuardianBinary => Environment.GetEnvironmentVariable("MG_TEST_GUARDIAN_BINARY") is { Length: > 0 } other ? other : Binary.Value;

    /// <summary>The supervisor, from the same readable directory as <see cref="GuardianBinary"/>'s copy.</summary>
    public static string SupervisorBinary => Path.Combine(Path.GetDirectoryName(Binary.Value)!, "molecule-guardian-supervise");

    /// <summary><c>setpriv</c> arguments that run a command as uid/gid 1000 with no supplementary groups.</summary>
    public static string[] As(params string[] command) =>
        ["--reuid=" + Id.ToString(CultureInfo.InvariantCulture), "--regid=" + Id.ToString(CultureInfo.InvariantCulture), "--clear-groups", .. command];

    public static string Setpriv => Deploy.RequiredTool.Find("setpriv", "util-linux");

    /// <summary>A directory owned by uid 1000 with the given mode.</summary>
    public static string MakeDirectory(string path, string mode = "755")
    {
        Directory.CreateDirectory(path);
        TestPosix.Chown(path, Id, Id);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        return path;
    }

    /// <summary>
    /// <c>setfacl -m</c> with the given entries (e.g. <c>u:1000:rwx</c>), from Debian's <c>acl</c> package. Waited for
    /// synchronously: Stryker's per-test coverage loses a test that awaits before it reaches the code.
    /// </summary>
    public static void SetAcl(string path, params string[] entries)
    {
        using var setfacl = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Deploy.RequiredTool.Find("setfacl", "acl"))
        {
            ArgumentList = { "-m", string.Join(',', entries), path },
            RedirectStandardError = true,
        })!;
        var error = setfacl.StandardError.ReadToEnd();
        Assert.True(setfacl.WaitForExit(TimeSpan.FromSeconds(15)) && setfacl.ExitCode == 0, $"setfacl -m {string.Join(',', entries)} {path}: {error}");
    }

    /// <summary>Every thread's real, effective, saved and file-system ids, and supplementary groups, from /proc.</summary>
    public static IEnumerable<(string Uid, string Gid, string Groups)> ThreadCredentials(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(Path.Combine(task, "status"));
            }
            catch (IOException)
            {
                continue; // the thread ended between the listing and the read
            }

            string Field(string name) => lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
            yield return (Field("Uid"), Field("Gid"), Field("Groups"));
        }
    }

    /// <summary>The renameat2 system call number, for the perl attacker (which has no wrapper for it).</summary>
    public static string RenameAt2Syscall => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "276" : "316";

    private static string FindOrCopyBinary()
    {
        var dir = AppContext.BaseDirectory.TrimEnd('/');
        if (ReadableByAll(dir))
        {
            return ProcessRunner.GuardianBinary;
        }

        var copy = Directory.CreateTempSubdirectory("mg-bin-").FullName;
        File.SetUnixFileMode(copy, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var target = Path.Combine(copy, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file) | UnixFileMode.OtherRead | UnixFileMode.GroupRead);
        }

        return Path.Combine(copy, "molecule-guardian");
    }

    /// <summary>True when every directory from / down to <paramref name="dir"/> lets others search it, and the binary is readable.</summary>
    private static bool ReadableByAll(string dir)
    {
        for (var d = dir; !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d))
        {
            if ((File.GetUnixFileMode(d) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return (File.GetUnixFileMode(Path.Combine(dir, "molecule-guardian.dll")) & UnixFileMode.OtherRead) != 0;
    }
}
