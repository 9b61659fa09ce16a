namespace UmlTlb.Abi;

/// <summary>
/// Word indexes of the shared data area and the stub's start-up exit codes:
/// the C# side of Stubs/layout.h. Words are the stub's native size.
/// </summary>
internal static class StubDataLayout
{
    public const int PageSize = 4096;
    public const int DataFd = 3;
    public const int PhysicalMemoryFd = 4;

    public const int Result = 0;
    public const int Flags = 1;
    public const int Executed = 2;
    public const int ParentPid = 3;
    public const int StubCode = 4;
    public const int SyscallStub = 5;
    public const int BatchStub = 6;
    public const int StubData = 7;
    public const int Trapped = 8;
    public const int DoorbellStub = 9;
    public const int DoorbellSpin = 10;

    // Doorbell words: 32-bit futexes in the low half of their word, each on a cache line of its own (see Engine/Doorbell).
    public const int Doorbell = 16;
    public const int DoorbellDone = 32;

    public const int Tuples = 48;

    /// <summary>A tuple is [nr, a1..a6].</summary>
    public const int TupleWords = 7;

    public const long FlagContinue = 1;

    public const int MaxBatchPages = 256;

    /// <summary>How many tuples fit in the data area with room left for the terminating 0.</summary>
    public static int Capacity(int dataBytes, int wordSize) =>
        (dataBytes / wordSize - Tuples - 1) / TupleWords;

    /// <summary>What each start-up exit code of the stub means.</summary>
    public static string DescribeExitCode(int code) => code switch
    {
        10 => "prctl(PR_SET_PDEATHSIG) failed",
        11 => "the data area (fd 3) is missing or empty",
        12 => "mapping the data area at its fixed address failed",
        13 => "its parent was gone before it could be traced",
        14 => "closing inherited file descriptors failed",
        15 => "unmapping the loader's pages failed",
        16 => "PTRACE_TRACEME failed",
        17 => "it was resumed without being pointed at a stub entry",
        18 => "prctl(PR_SET_NAME) failed",
        19 => "lowering its core-dump limit (prlimit64) failed",
        20 => "prctl(PR_SET_NO_NEW_PRIVS) failed",
        21 => "installing its seccomp filter failed",
        _ => $"exit code {code}",
    };
}
