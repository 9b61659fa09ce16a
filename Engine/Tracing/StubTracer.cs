using System.Diagnostics;
using UmlTlb.Native;
using static Tmds.Linux.LibC;

namespace UmlTlb.Tracing;

/// <summary>
/// What the tracer thread needs to start a stub. Reaped, when given, is called on the tracer
/// thread once the stub is reaped and its termination is set (the doorbell ends its waits there).
/// </summary>
internal sealed record StubLaunch(string Path, string Name, Processes.DataArea Data, int DataFd, int PhysicalMemoryFd, int? Cpu,
    StubTransport Transport = StubTransport.Ptrace, Action? Reaped = null);

/// <summary>
/// The dedicated thread that traces one stub. It spawns the stub (so that it is the
/// stub's parent), issues every ptrace and waitpid call for it, and runs commands
/// other threads hand it one at a time. Between commands it sleeps in poll() on a
/// pidfd, so a stub that dies is reaped at once, not at its next use.
/// With the Doorbell transport it hands no commands: once it has pointed the stub at
/// doorbell_stub it sleeps in waitpid, answering the stub's stops (outside signals,
/// faults) and reaping it; Stop then kills the stub through the pidfd.
/// </summary>
internal sealed unsafe class StubTracer
{
    private const int Idle = 0, Pending = 1, Running = 2;

    /// <summary>
    /// How long the idle tracer keeps looking for the next command, and a caller for
    /// its result, before sleeping: a round trip takes about 10 µs, a futex wake-up
    /// across CPUs costs about as much again.
    /// </summary>
    private static readonly long SpinTicks = Stopwatch.Frequency * 50 / 1_000_000;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(5);

    private readonly StubLaunch _launch;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _started = new(false);
    private readonly ManualResetEventSlim _commandDone = new(false);
    private readonly object _callerLock = new();
    private readonly int _wakeFd;
    private readonly object _pidfdLock = new();
    private int _pidfd = -1;
    private Exception? _startError;
    private PtraceStub? _stub;
    private Action<PtraceStub>? _command;
    private Exception? _commandError;
    private int _state;
    private int _sleeping;
    private int _finished;
    private bool _stopRequested;
    private StubTermination? _termination;
    private bool _wakeFdClosed;

    private StubTracer(StubLaunch launch)
    {
        _launch = launch;
        _wakeFd = eventfd(0, EFD_CLOEXEC);
        if (_wakeFd < 0)
        {
            throw UnixErrorException.FromLastError("eventfd");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "UmlTlb tracer " + launch.Name };
    }

    /// <summary>The stub's pid.</summary>
    public int Pid { get; private set; }

    /// <summary>The tracer thread's own tid, to pin or inspect it.</summary>
    public int ThreadId { get; private set; }

    /// <summary>The registers of the stub at its first trap, the template of every round trip.</summary>
    public Interop.user_regs_struct InitialRegisters { get; private set; }

    /// <summary>
    /// Set as soon as the stub is reaped (its pid may then belong to another process),
    /// or when it could not be started.
    /// </summary>
    public StubTermination? Termination => _termination ?? _stub?.Termination;

    /// <summary>Starts the tracer thread and returns once the stub waits at its first trap.</summary>
    public static StubTracer Start(StubLaunch launch)
    {
        StopNotifications.Suppress();
        var tracer = new StubTracer(launch);
        try
        {
            tracer._thread.Start();
        }
        catch (OutOfMemoryException e)
        {
            // What .NET makes of any failed pthread_create: the thread never ran, so nothing but the eventfd to release.
            tracer.CloseWakeFd();
            throw new ThreadLimitException(launch.Name, e);
        }
        tracer._started.Wait();
        if (tracer._startError is { } error)
        {
            tracer._thread.Join();
            tracer.CloseWakeFd();
            throw error;
        }
        return tracer;
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the tracer thread and waits for it. One
    /// command at a time; an exception it throws is rethrown here. Throws
    /// <see cref="StubExitedException"/> when the stub is gone.
    /// </summary>
    public void Invoke(Action<PtraceStub> command, bool expectShort = false)
    {
        if (_launch.Transport == StubTransport.Doorbell)
        {
            throw new InvalidOperationException($"Stub '{_launch.Name}' uses the Doorbell transport: its tracer thread runs no ptrace commands.");
        }
        lock (_callerLock)
        {
            ThrowIfTerminated();
            _command = command;
            _commandError = null;
            _commandDone.Reset();
            Interlocked.Exchange(ref _state, Pending);
            if (Volatile.Read(ref _finished) != 0 && Interlocked.CompareExchange(ref _state, Idle, Pending) == Pending)
            {
                ThrowIfTerminated();
            }
            if (Volatile.Read(ref _sleeping) != 0)
            {
                Wake();
            }
            AwaitCommand(expectShort);
            _command = null;
            if (_commandError is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>Kills and reaps the stub and ends the tracer thread; safe to call more than once.</summary>
    public StubTermination Stop() => Stop(Timeout.InfiniteTimeSpan)!;

    /// <summary>
    /// Kills the stub and waits up to <paramref name="timeout"/> for the tracer thread to reap it
    /// and end; null when it has not by then (a stub that cannot run, in a frozen cgroup, dies only
    /// once thawed): the tracer thread still reaps it as soon as it exits. Safe to call more than once.
    /// </summary>
    /// <remarks>
    /// The SIGKILL goes through the pidfd from this thread, not through <see cref="Invoke"/>, under
    /// either transport: a caller stuck in a round trip with a stub that cannot run holds the callers'
    /// lock. Signals need no tracer thread; the tracer reaps the stub when it dies.
    /// </remarks>
    public StubTermination? Stop(TimeSpan timeout)
    {
        if (Thread.CurrentThread == _thread)
        {
            _stub?.KillAndReap();
            return Termination;
        }
        return StopWatched(null, timeout);
    }

    private StubTermination? StopWatched(string? faultReason, TimeSpan timeout)
    {
        lock (_pidfdLock)
        {
            // The pidfd, not the pid: until the tracer closes it (under this lock) it names this stub, reaped or not.
            if (_pidfd >= 0 && Volatile.Read(ref _finished) == 0)
            {
                _stub!.MarkKillRequested(faultReason);
                Interop.pidfd_send_signal(_pidfd, Interop.SIGKILL);
            }
        }
        if (Thread.CurrentThread != _thread)
        {
            if (!_thread.Join(timeout))
            {
                return null;
            }
            CloseWakeFd();
        }
        return Termination!;
    }

    /// <summary>
    /// Kills the stub because what it did cannot be trusted (<paramref name="reason"/> says
    /// what, completing "the stub (pid N) ..."); it ends Faulted. Returns how it ended.
    /// </summary>
    public StubTermination Fault(string reason)
    {
        if (_launch.Transport == StubTransport.Doorbell)
        {
            return StopWatched(reason, Timeout.InfiniteTimeSpan)!;
        }
        try
        {
            Invoke(stub => stub.KillAsFaulted(reason));
        }
        catch (StubExitedException) when (Termination is not null)
        {
            // It died on its own meanwhile: that is how it ended.
        }
        return Termination!;
    }

    /// <summary>
    /// For a single round trip (about 10 µs) spins while the answer is likely close, then
    /// sleeps; a batch takes long enough to sleep at once. A caller on the tracer's own CPU
    /// would only delay it, so it sleeps at once too; elsewhere it spins without yielding,
    /// as a sched_yield per turn would add its own cost to every round trip.
    /// </summary>
    private void AwaitCommand(bool expectShort)
    {
        if (!expectShort || _launch.Cpu is int cpu && Interop.sched_getcpu() == cpu)
        {
            _commandDone.Wait();
            return;
        }
        long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
        while (!_commandDone.IsSet && Stopwatch.GetTimestamp() < spinUntil)
        {
            Thread.SpinWait(10);
        }
        _commandDone.Wait();
    }

    private void ThrowIfTerminated()
    {
        if (Termination is { } termination)
        {
            throw new StubExitedException(_launch.Name, termination);
        }
    }

    /// <summary>
    /// Only once the thread has ended and under the callers' lock: a caller may be about
    /// to write to it, and a closed fd number is soon reused by something else.
    /// </summary>
    private void CloseWakeFd()
    {
        lock (_callerLock)
        {
            if (!_wakeFdClosed)
            {
                _wakeFdClosed = true;
                close(_wakeFd);
            }
        }
    }

    private void Wake()
    {
        ulong one = 1;
        write(_wakeFd, &one, sizeof(ulong));
    }

    private void Run()
    {
        int pidfd = -1;
        try
        {
            ThreadId = Interop.gettid();
            if (_launch.Cpu is int cpu)
            {
                // The stub inherits this mask at spawn: both then share one CPU and a round trip needs no cross-CPU wake-up.
                PinCurrentThread(cpu);
            }
            _stub = StartStub();
            pidfd = Interop.pidfd_open(_stub.Pid);
            if (pidfd < 0)
            {
                throw UnixErrorException.FromLastError("pidfd_open");
            }
            _pidfd = pidfd;
            if (_launch.Transport == StubTransport.Doorbell)
            {
                SendToDoorbell(_stub);
            }
        }
        catch (Exception e)
        {
            _startError = e;
            _stub?.KillAndReap();
            Finish(pidfd);
            _started.Set();
            return;
        }
        _started.Set();

        try
        {
            if (_launch.Transport == StubTransport.Doorbell)
            {
                while (!_stub.WatchOnce())
                {
                }
            }
            else
            {
                Loop(pidfd);
            }
        }
        catch (Exception e)
        {
            // Never leave a caller hanging: a tracer that cannot go on kills its stub.
            _stub.KillAndReap();
            _commandError ??= new InvalidOperationException($"The tracer of stub '{_launch.Name}' failed: {e.Message}", e);
        }
        Finish(pidfd);
    }

    private PtraceStub StartStub()
    {
        int pid = StubSpawner.Spawn(_launch.Path, "umltlb-stub", _launch.DataFd, _launch.PhysicalMemoryFd);
        Pid = pid;
        var stub = new PtraceStub(pid, _launch.Name, _launch.Data);
        _stub = stub;
        stub.WaitForSelfStop(StartTimeout);
        // EXITKILL: should this whole process die, the kernel kills the stub with it.
        stub.SetOptions(Interop.PTRACE_O_EXITKILL);
        stub.Resume();
        stub.WaitForTrap();
        InitialRegisters = stub.GetRegs();
        return stub;
    }

    /// <summary>Points the stub, waiting at its first trap, at its doorbell loop, which it never leaves.</summary>
    private void SendToDoorbell(PtraceStub stub)
    {
        var data = _launch.Data;
        ulong code = data[Abi.StubDataLayout.StubCode];
        ulong entry = data[Abi.StubDataLayout.DoorbellStub];
        if (entry <= code || entry >= code + Abi.StubDataLayout.PageSize)
        {
            throw new InvalidOperationException($"Stub '{_launch.Name}' reported a doorbell entry 0x{entry:x} outside its code page 0x{code:x}.");
        }
        var regs = InitialRegisters;
        regs.rip = entry;
        stub.ResumeAt(ref regs);
    }

    private void Loop(int pidfd)
    {
        var stub = _stub!;
        var fds = stackalloc Tmds.Linux.pollfd[2];
        while (!_stopRequested)
        {
            if (TryRunCommand(stub))
            {
                continue;
            }
            long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _state) != Pending && Stopwatch.GetTimestamp() < spinUntil)
            {
                // The caller is often woken on this CPU (the kernel places a wakee near its waker):
                // yield to it, and spin only when nothing else wants the CPU.
                if (!Thread.Yield())
                {
                    Thread.SpinWait(20);
                }
            }
            if (Volatile.Read(ref _state) == Pending)
            {
                continue;
            }

            Interlocked.Exchange(ref _sleeping, 1);
            if (Volatile.Read(ref _state) != Pending)
            {
                fds[0] = new Tmds.Linux.pollfd { fd = _wakeFd, events = POLLIN };
                fds[1] = new Tmds.Linux.pollfd { fd = pidfd, events = POLLIN };
                int n = poll(fds, 2, -1);
                if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Errno.EINTR)
                {
                    throw UnixErrorException.FromLastError("poll");
                }
                if ((fds[0].revents & POLLIN) != 0)
                {
                    ulong count;
                    read(_wakeFd, &count, sizeof(ulong));
                }
                if ((fds[1].revents & POLLIN) != 0 && stub.TryReap())
                {
                    Interlocked.Exchange(ref _sleeping, 0);
                    break;
                }
            }
            Interlocked.Exchange(ref _sleeping, 0);
        }
    }

    private bool TryRunCommand(PtraceStub stub)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            return false;
        }
        try
        {
            _command!(stub);
        }
        catch (Exception e)
        {
            _commandError = e;
        }
        if (stub.Termination is not null)
        {
            _stopRequested = true;
        }
        Volatile.Write(ref _state, Idle);
        _commandDone.Set();
        return true;
    }

    private void Finish(int pidfd)
    {
        _termination = _stub?.Termination
            ?? new StubTermination(null, null, false, $"the stub could not be started: {_startError?.Message}");
        Volatile.Write(ref _finished, 1);
        if (Interlocked.CompareExchange(ref _state, Idle, Pending) == Pending
            || Volatile.Read(ref _state) == Running)
        {
            _commandError ??= new StubExitedException(_launch.Name, _termination);
            Volatile.Write(ref _state, Idle);
            _commandDone.Set();
        }
        _launch.Reaped?.Invoke();
        lock (_pidfdLock)
        {
            if (pidfd >= 0)
            {
                close(pidfd);
            }
            _pidfd = -1;
        }
    }

    private static void PinCurrentThread(int cpu)
    {
        ulong* mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (Interop.sched_setaffinity(0, 16 * sizeof(ulong), mask) != 0)
        {
            throw UnixErrorException.FromLastError("sched_setaffinity");
        }
    }
}
