namespace MoleculeGuardian.Files;

/// <summary>What an SRE can do about a failed system call, by its errno.</summary>
internal static class PosixHints
{
    public static string For(PosixException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.ErrorNumber switch
        {
            Errno.EBUSY or Errno.EXDEV =>
                "settings.json looks like a single-file bind mount, which cannot be replaced by rename; mount its directory instead",
            Errno.EROFS => "the file system is read-only; make the settings directory writable",
            Errno.EACCES or Errno.EPERM => "run the guardian as the settings file's owner (uid 1000) or root",
            Errno.ENOSPC or Errno.EDQUOT => "free space on the settings volume",
            _ => "will retry",
        };
    }
}
