namespace MoleculeGuardian.Files;

/// <summary>What an SRE can do about a failed system call, by its errno.</summary>
internal static class PosixHints
{
    /// <summary>The hint for <paramref name="ex"/>; a permission error's depends on whom the identity step made the guardian.</summary>
    public static string For(PosixException ex, Privilege privilege)
    {
        ArgumentNullException.ThrowIfNull(ex);
        ArgumentNullException.ThrowIfNull(privilege);
        return ex.ErrorNumber switch
        {
            Errno.EBUSY or Errno.EXDEV =>
                "settings.json looks like a single-file bind mount, which cannot be replaced by rename; mount its directory instead",
            Errno.EROFS => "the file system is read-only; make the settings directory writable",
            Errno.EACCES or Errno.EPERM => privilege.AccessHint(ex),
            Errno.ENOSPC or Errno.EDQUOT => "free space on the settings volume",
            _ => "will retry",
        };
    }
}
