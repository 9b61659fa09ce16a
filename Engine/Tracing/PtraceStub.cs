using UmlTlb.Native;

namespace UmlTlb.Tracing;

/// <summary>
/// The ptrace requests made on one stub. Every method must run on the stub's
/// tracer thread: Linux accepts ptrace requests only from the tracing thread.
/// </summary>
internal sealed unsafe class PtraceStub
{
    private readonly string _name;
    private readonly Processes.DataArea _data;
    private volatile bool _killRequested;
    private string? _faultReason;

    public PtraceStub(int pid, string name, Processes.DataArea data)
    {
        Pid = pid;
        _name = name;
        _data = data;
    }

    public int Pid { get; }

    /// <summary>Set once the stub has been reaped; its pid must never be waited for again.</summary>
    public StubTermination? Termination { get; private set; }

    public Interop.user_regs_struct GetRegs()
    {
        Interop.user_regs_struct regs;
        Request(Interop.PTRACE_GETREGS, 0, (nint)(&regs), "PTRACE_GETREGS");
        return regs;
    }

    public void SetOptions(int options) => Request(Interop.PTRACE_SETOPTIONS, 0, options, "PTRACE_SETOPTIONS");

    /// <summary>Resumes the stub with <paramref name="regs"/> and waits for its next int3.</summary>
    public void RunToTrap(ref Interop.user_regs_struct regs)
    {
        // Without orig_rax = -1 a stub stopped inside a syscall would restart it instead of jumping.
        regs.orig_rax = ulong.MaxValue;
        fixed (Interop.user_regs_struct* p = &regs)
        {
            Request(Interop.PTRACE_SETREGS, 0, (nint)p, "PTRACE_SETREGS");
        }
        Resume();
        WaitForTrap();
    }

    /// <summary>Points the stub at <paramref name="regs"/> and lets it run, without waiting for anything.</summary>
    public void ResumeAt(ref Interop.user_regs_struct regs)
    {
        regs.orig_rax = ulong.MaxValue;
        fixed (Interop.user_regs_struct* p = &regs)
        {
            Request(Interop.PTRACE_SETREGS, 0, (nint)p, "PTRACE_SETREGS");
        }
        Resume();
    }

    /// <summary>
    /// For a stub that runs on its own (the Doorbell transport): waits for its next stop or its end.
    /// Job-control stops are swallowed (it must keep answering), any other signal is delivered (a
    /// fatal one then ends it). True once it is reaped.
    /// </summary>
    public bool WatchOnce()
    {
        var status = Wait(0);
        if (!status.Stopped)
        {
            Record(status);
            return true;
        }
        int signal = status.StopSignal;
        try
        {
            Continue(IsJobControlStop(signal) ? 0 : signal);
        }
        catch (StubExitedException)
        {
            return true;
        }
        return false;
    }

    /// <summary>
    /// Marks the coming SIGKILL as UmlTlb's own (a stop, or with <paramref name="faultReason"/> a fault),
    /// for a stub whose tracer thread sleeps in waitpid and cannot send it itself.
    /// </summary>
    public void MarkKillRequested(string? faultReason = null)
    {
        _faultReason = faultReason;
        _killRequested = faultReason is null;
    }

    /// <summary>Lets the stub go on from a stop, ready to recognise its next int3.</summary>
    public void Resume()
    {
        _data[Abi.StubDataLayout.Trapped] = 0;
        Continue(0);
    }

    private void Continue(int signal) => Request(Interop.PTRACE_CONT, 0, signal, "PTRACE_CONT");

    /// <summary>
    /// Waits until the stub stops at its own int3, which it flags in the data area
    /// (cheaper than a PTRACE_GETSIGINFO per round trip, and a kill -TRAP from
    /// outside does not set the flag). Other stops are told apart: job-control
    /// stops are swallowed (the stub must stay under our control), any other signal
    /// is delivered, and if it kills the stub this throws.
    /// </summary>
    public void WaitForTrap()
    {
        while (true)
        {
            var status = Wait(0);
            if (!status.Stopped)
            {
                throw Reaped(status);
            }
            int signal = status.StopSignal;
            if (signal == Interop.SIGTRAP && _data[Abi.StubDataLayout.Trapped] != 0)
            {
                return;
            }
            Continue(IsJobControlStop(signal) ? 0 : signal);
        }
    }

    /// <summary>Waits for the stub's first stop, the SIGSTOP it sends itself once it is ready to be traced.</summary>
    /// <remarks>
    /// Polled rather than waited for, with a deadline: a stub program that never gets
    /// this far (a wrong file, a broken build) must fail Start, not hang it.
    /// </remarks>
    public void WaitForSelfStop(TimeSpan timeout)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var spinner = new SpinWait();
        while (true)
        {
            var status = Wait(Interop.WNOHANG, allowNone: true);
            if (status.Raw == -1)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                {
                    KillAndReap();
                    throw new TimeoutException($"The stub program (pid {Pid}) did not stop itself within {timeout.TotalSeconds:F0} s of its start.");
                }
                spinner.SpinOnce(sleep1Threshold: 20);
                continue;
            }
            if (!status.Stopped)
            {
                throw Reaped(status);
            }
            if (status.StopSignal == Interop.SIGSTOP)
            {
                return;
            }
            Continue(status.StopSignal);
        }
    }

    /// <summary>Kills the stub and reaps it; a no-op once it is reaped.</summary>
    public StubTermination KillAndReap() => Kill(faultReason: null);

    /// <summary>
    /// Kills a stub that can no longer be trusted and reaps it: it ends Faulted, with
    /// <paramref name="reason"/> as its description. A no-op once it is reaped.
    /// </summary>
    public StubTermination KillAsFaulted(string reason) => Kill(reason);

    private StubTermination Kill(string? faultReason)
    {
        if (Termination is { } done)
        {
            return done;
        }
        _killRequested = faultReason is null;
        _faultReason = faultReason;
        Tmds.Linux.LibC.kill(Pid, Interop.SIGKILL);
        while (true)
        {
            var status = Wait(0);
            if (!status.Stopped)
            {
                Record(status);
                return Termination!;
            }
        }
    }

    /// <summary>Reaps the stub if it has exited, without blocking; true when it has.</summary>
    public bool TryReap()
    {
        if (Termination is not null)
        {
            return true;
        }
        var status = Wait(Interop.WNOHANG, allowNone: true);
        if (status.Raw == -1 || status.Stopped)
        {
            return false;
        }
        Record(status);
        return true;
    }

    private static bool IsJobControlStop(int signal) =>
        signal is Interop.SIGSTOP or Interop.SIGTSTP or Interop.SIGTTIN or Interop.SIGTTOU;

    private void Request(int request, nint addr, nint data, string what)
    {
        if (Termination is not null)
        {
            throw new StubExitedException(_name, Termination);
        }
        if (Interop.ptrace(request, Pid, addr, data) == -1)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Errno.ESRCH)
            {
                // The tracee is not in a ptrace stop any more: it has died under us.
                var status = Wait(0);
                while (status.Stopped)
                {
                    status = Wait(0);
                }
                throw Reaped(status);
            }
            throw new UnixErrorException(what, errno);
        }
    }

    private WaitStatus Wait(int options, bool allowNone = false)
    {
        while (true)
        {
            int pid = Interop.waitpid(Pid, out int raw, options | Interop.__WALL);
            if (pid == Pid)
            {
                return new WaitStatus(raw);
            }
            if (pid == 0 && allowNone)
            {
                return new WaitStatus(-1);
            }
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (pid == -1 && errno == Errno.EINTR)
            {
                continue;
            }
            throw new UnixErrorException($"waitpid({Pid})", errno);
        }
    }

    private StubExitedException Reaped(WaitStatus status)
    {
        if (!status.Stopped)
        {
            Record(status);
        }
        return new StubExitedException(_name, Termination!);
    }

    private void Record(WaitStatus status)
    {
        string description;
        if (status.Exited)
        {
            description = $"the stub (pid {Pid}) exited with code {status.ExitCode}: {Abi.StubDataLayout.DescribeExitCode(status.ExitCode)}";
            Termination = new StubTermination(status.ExitCode, null, _killRequested, description);
        }
        else if (_faultReason is not null && status.TermSignal == Interop.SIGKILL)
        {
            Termination = new StubTermination(null, status.TermSignal, false, $"the stub (pid {Pid}) {_faultReason}");
        }
        else
        {
            description = _killRequested
                ? $"the stub (pid {Pid}) was stopped by UmlTlb"
                : $"the stub (pid {Pid}) was killed by {SignalNames.Name(status.TermSignal)}";
            Termination = new StubTermination(null, status.TermSignal, _killRequested, description);
        }
    }
}
