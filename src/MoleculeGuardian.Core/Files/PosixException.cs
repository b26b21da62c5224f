namespace MoleculeGuardian.Files;

/// <summary>A failed system call, with the errno name an SRE can search for.</summary>
internal sealed class PosixException : IOException
{
    public PosixException(string operation, string path, int errno)
        : base($"{operation}({path}): {Errno.Describe(errno)}")
    {
        Operation = operation;
        Path = path;
        ErrorNumber = errno;
    }

    public PosixException()
    {
        Operation = "";
        Path = "";
    }

    public PosixException(string message)
        : base(message)
    {
        Operation = "";
        Path = "";
    }

    public PosixException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "";
        Path = "";
    }

    public string Operation { get; }

    public string Path { get; }

    public int ErrorNumber { get; }

    public string ErrnoName => Errno.Name(ErrorNumber);
}
