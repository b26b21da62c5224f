using System.Runtime.InteropServices;

namespace MoleculeGuardian.Files;

/// <summary>
/// Whether a protected entry's command would start, judged as the runtime starts it: an absolute path must be an
/// executable regular file; a bare name must be one in a directory of <c>PATH</c> (execvp's rule, without its
/// fallbacks: only absolute <c>PATH</c> entries count, since a relative one means the runtime's own working
/// directory, which the guardian cannot see). A relative path with a slash never counts, for the same reason.
/// </summary>
internal static partial class CommandLookup
{
    private const int XOk = 1;

    /// <summary>Null when <paramref name="command"/> resolves; otherwise why not, in words that end a sentence.</summary>
    public static string? WhyNotRunnable(string command, string? path)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Length == 0)
        {
            return "is empty";
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            return !command.StartsWith('/') ? "is a relative path, resolved from a working directory the guardian cannot see"
                : Executable(command) ? null : "is not an executable file";
        }

        var directories = (path ?? "").Split(':').Where(d => d.StartsWith('/')).ToList();
        return directories.Exists(d => Executable(Path.Join(d, command)))
            ? null
            : $"is not on PATH ({(directories.Count == 0 ? "empty" : string.Join(':', directories))})";
    }

    /// <summary>With the process's own PATH.</summary>
    public static string? WhyNotRunnable(string command) => WhyNotRunnable(command, Environment.GetEnvironmentVariable("PATH"));

    /// <summary>A regular file (or a link to one) that this process may execute.</summary>
    private static bool Executable(string file) => File.Exists(file) && Access(file, XOk) == 0;

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}

/// <summary>Null when a command would start; otherwise why not (the seam tests replace; production: <see cref="CommandLookup"/>).</summary>
internal delegate string? CommandCheck(string command);
