using System.ComponentModel;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// Finds the program a child runs as execvp(3) does, through <c>PATH</c> only. .NET's own process start looks for a
/// bare name in the binary's directory and then the working directory before <c>PATH</c>: a <c>./python3</c> planted
/// in a working directory another user can write would run as root. So every child gets an absolute path from here.
/// </summary>
internal static class CommandPath
{
    /// <summary>What execvp searches when <c>PATH</c> is unset: glibc's <c>confstr(_CS_PATH)</c>.</summary>
    public const string DefaultSearchPath = "/bin:/usr/bin";

    private const int Enoent = 2;

    /// <summary>
    /// The program to execute for <paramref name="command"/>. A name with a <c>/</c> is used as given, no search: a
    /// relative one is relative to <paramref name="workingDirectory"/>, where the child starts (as execve would
    /// resolve it after the child's chdir). A bare name is looked for in each directory of <paramref name="path"/> in
    /// turn; the first regular file that <paramref name="isExecutable"/> accepts wins, as execvp goes on past a
    /// directory where the name is missing or not executable.
    /// </summary>
    /// <exception cref="Win32Exception">ENOENT, naming what was searched, when no directory holds it.</exception>
    public static string Resolve(string command, string? path, string workingDirectory, Func<string, bool> isExecutable)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(isExecutable);
        if (command.Length == 0)
        {
            throw new Win32Exception(Enoent, "empty command");
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            // Joined, not normalized: "link/../x" must mean what the kernel makes of it.
            return command.StartsWith('/') ? command : Path.Join(workingDirectory, command);
        }

        var searched = new List<string>();
        var ignored = new List<string>();
        foreach (var directory in (path ?? DefaultSearchPath).Split(':'))
        {
            // execvp reads an empty entry (a leading, trailing or doubled ':') as the working directory, and a
            // relative entry as relative to it. Here both are skipped: the working directory may be one another user
            // writes, which is how a planted program would be found.
            if (!directory.StartsWith('/'))
            {
                ignored.Add($"'{directory}'");
                continue;
            }

            searched.Add(directory);
            var candidate = Path.Join(directory, command);
            if (isExecutable(candidate))
            {
                return candidate;
            }
        }

        var skipped = ignored.Count == 0 ? "" : $"; skipped {string.Join(", ", ignored)}: not absolute, so relative to the working directory";
        throw new Win32Exception(Enoent, $"'{command}' is in no directory of PATH ({string.Join(':', searched)}{skipped})");
    }
}
