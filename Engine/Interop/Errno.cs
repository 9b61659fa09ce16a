using System.Runtime.InteropServices;

namespace UmlTlb.Native;

/// <summary>Names and messages for errno values, as strace and the man pages spell them.</summary>
public static partial class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, EMFILE = 24,
        EFBIG = 27, ENOSPC = 28, ERANGE = 34, ENOSYS = 38, EOVERFLOW = 75, EOPNOTSUPP = 95;

    private static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO", [ENOEXEC] = "ENOEXEC",
        [EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
        [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [EINVAL] = "EINVAL",
        [EMFILE] = "EMFILE", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ERANGE] = "ERANGE", [ENOSYS] = "ENOSYS",
        [EOVERFLOW] = "EOVERFLOW", [EOPNOTSUPP] = "EOPNOTSUPP",
    };

    /// <summary>The symbolic name ("ENOMEM"), or "E&lt;n&gt;" for one this table lacks.</summary>
    public static string Name(int errno) => Names.TryGetValue(errno, out var name) ? name : $"E{errno}";

    /// <summary>The C library's message for the errno.</summary>
    public static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}

/// <summary>A failed Linux call: HResult is the errno, the message names the call and the error.</summary>
public sealed class UnixErrorException : Exception
{
    public UnixErrorException(string call, int errno)
        : base($"{call} failed: {Native.Errno.Name(errno)} ({Native.Errno.Message(errno)})")
    {
        Call = call;
        HResult = errno;
    }

    public string Call { get; }

    public int Errno => HResult;

    /// <summary>Throws for the errno of the last call marked SetLastError.</summary>
    internal static UnixErrorException FromLastError(string call) => new(call, Marshal.GetLastPInvokeError());
}
