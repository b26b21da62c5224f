using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

/// <summary>The real system calls, through libc.</summary>
internal sealed partial class LinuxFileSystemCalls : IFileSystemCalls
{
    public static LinuxFileSystemCalls Instance { get; } = new();

    // open(2) flags. O_DIRECTORY and O_NOFOLLOW differ on arm and arm64.
    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private static readonly bool IsArm = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;
    private static readonly int ODirectory = IsArm ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = IsArm ? 0x8000 : 0x20000;

    private const int OPath = 0x200000;

    // Where d_name starts in glibc's struct dirent on 64-bit Linux (x64, arm64): after d_ino, d_off, d_reclen, d_type.
    private const int DirentNameOffset = 19;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    // fcntl(2) lease commands and types, and SIGURG (23 on every Linux architecture .NET runs on).
    private const int FSetSig = 10;
    private const int FSetLease = 1024;
    private const int FGetLease = 1025;
    private const int FRdLck = 0;
    private const int SigUrg = 23;

    // getxattr(2): no such attribute, and a buffer too small for it.
    private const int ENoData = 61;
    private const int ERange = 34;

    public SafeFileHandle OpenDirectory(SafeFileHandle? parent, string name, string path) =>
        OpenAt(parent is null ? AtFdCwd : Fd(parent), name, OPath | ODirectory | ONoFollow | OCloExec, 0, path);

    public FileStat? StatAt(SafeFileHandle directory, string name, string path)
    {
        if (NativeMethods.statx(Fd(directory), name, AtSymlinkNoFollow, StatxBasicStats, out var st) == 0)
        {
            return Convert(st);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is Errno.ENOENT ? null : throw new PosixException("fstatat", path, errno);
    }

    public FileStat FStat(SafeFileHandle handle, string path)
    {
        return NativeMethods.statx(Fd(handle), "", AtEmptyPath, StatxBasicStats, out var st) == 0
            ? Convert(st)
            : throw new PosixException("fstat", path, Marshal.GetLastPInvokeError());
    }

    public SafeFileHandle OpenReadAt(SafeFileHandle directory, string name, string path) =>
        OpenAt(Fd(directory), name, ORdOnly | ONonBlock | ONoFollow | OCloExec, 0, path);

    public SafeFileHandle CreateExclusiveAt(SafeFileHandle directory, string name, string path) =>
        OpenAt(Fd(directory), name, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, 0x180 /* 0600 */, path);

    public unsafe int Read(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        fixed (byte* p = buffer)
        {
            var n = NativeMethods.pread(Fd(handle), p, (nint)buffer.Length, offset);
            return n >= 0 ? (int)n : throw new PosixException("read", path, Marshal.GetLastPInvokeError());
        }
    }

    public unsafe void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, string path)
    {
        fixed (byte* p = data)
        {
            for (long done = 0; done < data.Length;)
            {
                var n = NativeMethods.pwrite(Fd(handle), p + done, (nint)(data.Length - done), done);
                if (n < 0)
                {
                    throw new PosixException("write", path, Marshal.GetLastPInvokeError());
                }

                done += n;
            }
        }
    }

    public void Fsync(SafeFileHandle handle, string path) =>
        Check(NativeMethods.fsync(Fd(handle)), "fsync", path);

    public void FChown(SafeFileHandle handle, uint uid, uint gid, string path) =>
        Check(NativeMethods.fchown(Fd(handle), uid, gid), "fchown", path);

    public void FChmod(SafeFileHandle handle, uint mode, string path) =>
        Check(NativeMethods.fchmod(Fd(handle), mode), "fchmod", path);

    public void RenameAt(SafeFileHandle directory, string source, string target, RenameMode mode, string path)
    {
        var flags = mode switch { RenameMode.NoReplace => 1u, RenameMode.Exchange => 2u, _ => 0u };
        Check(NativeMethods.renameat2(Fd(directory), source, Fd(directory), target, flags), "rename", path);
    }

    public void UnlinkAt(SafeFileHandle directory, string name, string path) =>
        Check(NativeMethods.unlinkat(Fd(directory), name, 0), "unlink", path);

    public void FsyncDirectory(SafeFileHandle directory, string path)
    {
        // The handle is O_PATH, which fsync refuses: "." through it is the same directory, opened for real.
        using var handle = OpenAt(Fd(directory), ".", ORdOnly | ODirectory | OCloExec, 0, path);
        Fsync(handle, path);
    }

    public IEnumerable<string> ListNames(SafeFileHandle directory, string path)
    {
        // An iterator: this runs when the enumeration starts, and the finally when it ends or is disposed. readdir
        // hands out the entries of one getdents buffer (32 KiB in glibc) at a time; each name is yielded and forgotten.
        var stream = OpenDirectoryStream(directory, path);
        try
        {
            while (NextName(stream, path) is { } name)
            {
                if (name is not ("." or ".."))
                {
                    yield return name;
                }
            }
        }
        finally
        {
            _ = NativeMethods.closedir(stream);
        }
    }

    public LeaseResult TryReadLease(SafeFileHandle handle, string path)
    {
        // What the kernel does (fs/locks.c; fcntl(2) "Leases"), and so what this covers:
        // - Granted only if no open file description anywhere has the inode open for writing: a reader (tail -f, an
        //   editor, any uid) does not stand in the way, a writer does, and so does a write handle of our own on the
        //   same file (a read lease can never be had through, or beside, the handle that wrote the file).
        // - While held, an open of the file for writing (O_WRONLY or O_RDWR, O_TRUNC or not) breaks it inside open(),
        //   before O_TRUNC truncates anything, and so does truncate(2) by path: the opener waits until we release the
        //   lease (closing the handle) or /proc/sys/fs/lease-break-time (45 s) passes, and F_GETLEASE shows F_UNLCK
        //   meanwhile. An opener with O_NONBLOCK (coreutils truncate) gets EWOULDBLOCK instead of waiting. Opens for
        //   reading, rename, link and unlink do not break it.
        // - Not covered: writes, ftruncate or a shared mapping through a descriptor opened before the lease was
        //   granted (there is none when it is granted; when there is one, this answers Busy); chmod, chown and xattrs;
        //   and an opener whose open() reaches the file only after the holder last asked F_GETLEASE.
        // - Only regular files; only the file's owner (by fsuid) or a holder of CAP_LEASE (EACCES otherwise: a
        //   guardian acting as uid 1000 leases uid 1000's files only); only while fs.leases-enable is 1 (EINVAL
        //   otherwise); only on file systems that implement leases (FUSE and some network file systems refuse them,
        //   with EINVAL, or with EAGAIN, which reads as Busy). Those answer Unavailable; either way the store falls
        //   back to its content check. The lease belongs to the open file description of the O_RDONLY handle:
        //   closing its last descriptor releases it.
        var fd = Fd(handle);

        // A lease break signals the holder, with SIGIO by default, whose default action ends the process: SIGURG is
        // ignored by default (and unused by .NET), and the guardian asks F_GETLEASE instead of handling a signal.
        if (NativeMethods.fcntl(fd, FSetSig, SigUrg) != 0)
        {
            return LeaseResult.Unavailable;
        }

        if (NativeMethods.fcntl(fd, FSetLease, FRdLck) == 0)
        {
            return LeaseResult.Granted;
        }

        return Marshal.GetLastPInvokeError() == Errno.EAGAIN ? LeaseResult.Busy : LeaseResult.Unavailable;
    }

    public bool LeaseBreaking(SafeFileHandle handle, string path)
    {
        // A read lease being broken reads as F_UNLCK, the type it is being broken to (and so does one the kernel
        // already took away after lease-break-time).
        var type = NativeMethods.fcntl(Fd(handle), FGetLease, 0);
        return type >= 0 ? type != FRdLck : throw new PosixException("fcntl(F_GETLEASE)", path, Marshal.GetLastPInvokeError());
    }

    /// <summary>A readdir stream of its own on the directory: a fresh open of "." has its own read position.</summary>
    private static nint OpenDirectoryStream(SafeFileHandle directory, string path)
    {
        var handle = OpenAt(Fd(directory), ".", ORdOnly | ODirectory | OCloExec, 0, path);
        var stream = NativeMethods.fdopendir(Fd(handle));
        if (stream == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new PosixException("fdopendir", path, errno);
        }

        // fdopendir took the descriptor over: closedir closes it.
        handle.SetHandleAsInvalid();
        return stream;
    }

    /// <summary>The next entry's name, or null at the end of the directory.</summary>
    private static string? NextName(nint stream, string path)
    {
        // readdir returns null both at the end and on an error; only errno, which the marshaller clears before the
        // call, tells them apart.
        var entry = NativeMethods.readdir(stream);
        if (entry == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 0 ? null : throw new PosixException("readdir", path, errno);
        }

        // struct dirent on 64-bit glibc: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), then d_name.
        return Marshal.PtrToStringUTF8(entry + DirentNameOffset) ?? "";
    }

    public unsafe byte[]? GetXattr(SafeFileHandle directory, string name, string path)
    {
        using var handle = OpenAt(Fd(directory), ".", ORdOnly | ODirectory | OCloExec, 0, path);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var size = NativeMethods.fgetxattr(Fd(handle), name, null, 0);
            if (size >= 0)
            {
                var value = new byte[size];
                fixed (byte* p = value)
                {
                    size = NativeMethods.fgetxattr(Fd(handle), name, p, (nuint)value.Length);
                }

                if (size >= 0)
                {
                    return value[..(int)size];
                }
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoData or Errno.EOPNOTSUPP)
            {
                return null;
            }

            // ERANGE: the attribute grew between the two calls; ask again.
            if (errno != ERange)
            {
                throw new PosixException("fgetxattr", path, errno);
            }
        }

        throw new PosixException("fgetxattr", path, ERange);
    }

    private static SafeFileHandle OpenAt(int directory, string name, int flags, uint mode, string path)
    {
        var fd = NativeMethods.openat(directory, name, flags, mode);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw new PosixException("open", path, Marshal.GetLastPInvokeError());
    }

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static void Check(int result, string operation, string path)
    {
        if (result != 0)
        {
            throw new PosixException(operation, path, Marshal.GetLastPInvokeError());
        }
    }

    private static FileStat Convert(in Statx st)
    {
        var kind = (st.Mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Unknown,
        };
        var device = ((ulong)st.DevMajor << 32) | st.DevMinor;
        return new FileStat(kind, st.Mode & 0xFFFu, st.Uid, st.Gid, (long)st.Size, device, st.Ino,
            (st.MtimeSec * 1_000_000_000L) + st.MtimeNsec, (st.CtimeSec * 1_000_000_000L) + st.CtimeNsec)
        {
            Links = st.Nlink,
        };
    }

    /// <summary><c>struct statx</c>: one layout on every Linux architecture, unlike <c>struct stat</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int openat(int dirfd, string path, int flags, uint mode);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

        [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
        internal static unsafe partial nint pread(int fd, byte* buffer, nint count, long offset);

        [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
        internal static unsafe partial nint pwrite(int fd, byte* buffer, nint count, long offset);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
        internal static partial int fchown(int fd, uint uid, uint gid);

        [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        internal static partial int fchmod(int fd, uint mode);

        [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

        [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int unlinkat(int dirfd, string path, int flags);

        [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
        internal static partial nint fdopendir(int fd);

        [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
        internal static partial nint readdir(nint stream);

        [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
        internal static partial int closedir(nint stream);

        // Variadic in C; an int third argument is passed exactly like a fixed one on x64 and arm64 Linux.
        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int fcntl(int fd, int cmd, int arg);

        [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial nint fgetxattr(int fd, string name, byte* value, nuint size);

    }
}
