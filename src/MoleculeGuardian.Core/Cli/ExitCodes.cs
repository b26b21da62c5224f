namespace MoleculeGuardian.Cli;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary><c>check</c> found the file not compliant, or <c>heal</c> could not heal it.</summary>
    public const int Failed = 1;

    public const int Usage = 2;

    /// <summary>EX_CONFIG from sysexits.h: systemd's RestartPreventExitStatus and <c>supervise</c> do not restart on it.</summary>
    public const int InvalidConfiguration = 78;
}
