using UmlTlb.Abi;
using UmlTlb.Doorbell;
using UmlTlb.Flush;
using UmlTlb.Ops;
using UmlTlb.Processes;
using UmlTlb.Shadow;
using UmlTlb.Tracing;
using UmlTlb.Views;

namespace UmlTlb;

/// <summary>
/// A traced stub process: its address space below <see cref="UserAddressLimit"/>
/// is what the queued ops change. Its state is live; its methods are safe from any thread.
/// </summary>
public sealed partial class StubProcess
{
    private readonly StubTracer _tracer;
    private readonly MemFd _dataFd;
    private readonly MemFd _physicalMemoryFd;
    private readonly object _nameReservation;
    private StubTermination? _stopping;
    private readonly Queue<(long From, long To)> _discarded = new();
    private int _reaperStarted;

    private StubProcess(int id, string name, object nameReservation, StubStartOptions options, StubAbi abi, StubTracer tracer,
        MemFd dataFd, DataArea data, MemFd physicalMemoryFd, int? cpu, IStubRoundTrip roundTrip)
    {
        Id = id;
        Name = name;
        _nameReservation = nameReservation;
        Abi = abi;
        _tracer = tracer;
        _dataFd = dataFd;
        Data = data;
        _physicalMemoryFd = physicalMemoryFd;
        PhysicalMemory = new PhysicalMemory(physicalMemoryFd);
        BatchPages = options.BatchPages;
        Affinity = options.Affinity;
        Cpu = cpu;
        StubCodeAddress = data[StubDataLayout.StubCode];
        StubDataAddress = data[StubDataLayout.StubData];
        Transport = options.Transport;
        RoundTrip = roundTrip;
        StartTime = DateTime.Now;
        Shadow = new StubShadow($"/memfd:{PhysicalMemoryName(id)} (deleted)");
        Queue = new VmOpQueue(Shadow.Projection);
    }

    /// <summary>Small number, unique in this process.</summary>
    public int Id { get; }

    public string Name { get; }

    public int ProcessId => _tracer.Pid;

    public StubArchitecture Architecture => Abi.Architecture;

    public StubState State => _tracer.Termination switch
    {
        null => _stopping is null ? StubState.Running : StubState.Stopping,
        { Requested: true } or { ExitCode: not null } => StubState.Exited,
        _ => StubState.Faulted,
    };

    /// <summary>How it ended; null while it runs. While it is Stopping, says that it is not reaped yet.</summary>
    public StubTermination? Termination => _tracer.Termination ?? _stopping;

    /// <summary>How long <see cref="Stop()"/> waits for the stub to be reaped before it leaves that to the tracer thread.</summary>
    public static TimeSpan StopTimeout { get; } = TimeSpan.FromSeconds(5);

    public ulong StubCodeAddress { get; }

    public ulong StubDataAddress { get; }

    /// <summary>Host ops that fit in one run of the batch stub.</summary>
    public int BatchCapacity => Data.Capacity;

    public int BatchPages { get; }

    public ulong PhysicalMemorySize => PhysicalMemory.Size;

    /// <summary>The first address ops may not touch: the stub's code page.</summary>
    public ulong UserAddressLimit => StubCodeAddress;

    public StubAffinity Affinity { get; }

    /// <summary>How round trips reach the stub: ptrace stops or the futex doorbell.</summary>
    public StubTransport Transport { get; }

    /// <summary>The CPU the stub and its tracer thread are pinned to, when colocated.</summary>
    public int? Cpu { get; }

    /// <summary>The Linux thread id of the tracer thread.</summary>
    public int TracerThreadId => _tracer.ThreadId;

    public DateTime StartTime { get; }

    /// <summary>Host ops waiting for a flush.</summary>
    public int PendingOperations
    {
        get
        {
            lock (SyncRoot)
            {
                return Queue.Count;
            }
        }
    }

    internal object SyncRoot { get; } = new();

    internal StubTracer Tracer => _tracer;

    internal StubAbi Abi { get; }

    internal DataArea Data { get; }

    internal PhysicalMemory PhysicalMemory { get; }

    internal VmOpQueue Queue { get; }

    internal StubCounters Counters { get; } = new();

    /// <summary>How the stub is made to run; tests may wrap it to play a stub that misbehaves.</summary>
    internal IStubRoundTrip RoundTrip { get; set; }

    /// <summary>Spawns and traces a stub; returns once it waits at its first trap.</summary>
    public static StubProcess Start(StubStartOptions? options = null)
    {
        options ??= new StubStartOptions();
        if (options.BatchPages is < 1 or > StubDataLayout.MaxBatchPages)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchPages, $"BatchPages must be 1 to {StubDataLayout.MaxBatchPages}.");
        }
        if (!Enum.IsDefined(options.Transport))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Transport, "Transport must be Ptrace or Doorbell.");
        }
        if (options.PhysicalMemorySize == 0 || options.PhysicalMemorySize % StubDataLayout.PageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PhysicalMemorySize, "PhysicalMemorySize must be a non-zero whole number of pages.");
        }
        var abi = StubAbi.For(options.Architecture);
        string path = options.StubDirectory is { } directory
            ? StubFiles.Locate(abi, directory)
            : StubExecutable.For(abi).SpawnPath;
        int id = StubRegistry.NextId();
        string name = string.IsNullOrEmpty(options.Name) ? $"stub{id}" : options.Name;
        var reservation = StubRegistry.TryReserveName(name) ?? throw new DuplicateStubNameException(name);
        int? cpu = options.Affinity == StubAffinity.Colocated ? CpuPicker.Next() : null;

        MemFd? dataFd = null, physicalMemoryFd = null;
        DataArea? data = null;
        try
        {
            // Inside the try: a start that fails here (EMFILE, EINVAL from ftruncate) must free its name too.
            dataFd = MemFd.Create($"umltlb-data-{id}", (ulong)(options.BatchPages * StubDataLayout.PageSize));
            physicalMemoryFd = MemFd.Create(PhysicalMemoryName(id), options.PhysicalMemorySize);
            data = new DataArea(dataFd, abi.WordSize);
            data[StubDataLayout.ParentPid] = (ulong)Environment.ProcessId;
            // The doorbell exists before the tracer: the tracer ends its waits when it reaps the stub.
            var doorbell = options.Transport == StubTransport.Doorbell ? new DoorbellRoundTrip(name, abi, data, cpu) : null;
            var tracer = StubTracer.Start(new StubLaunch(path, name, data, dataFd.Fd, physicalMemoryFd.Fd, cpu, options.Transport, doorbell is null ? null : doorbell.StubGone));
            doorbell?.WatchedBy(tracer);
            IStubRoundTrip roundTrip = doorbell is null ? new PtraceRoundTrip(tracer, abi, data) : doorbell;
            var stub = new StubProcess(id, name, reservation, options, abi, tracer, dataFd, data, physicalMemoryFd, cpu, roundTrip);
            stub.CheckLayout();
            StubRegistry.Add(stub);
            return stub;
        }
        catch (Exception e)
        {
            data?.Dispose();
            dataFd?.Dispose();
            physicalMemoryFd?.Dispose();
            StubRegistry.ReleaseName(name, reservation);
            if (e is Native.UnixErrorException { Errno: Native.Errno.ENOEXEC })
            {
                throw new StubArchitectureNotSupportedException(abi.Architecture, e);
            }
            throw;
        }
    }

    /// <summary>Kills and reaps the stub and its tracer thread, and forgets it; discards its pending ops.</summary>
    public StubTermination Stop() => Stop(out _);

    /// <summary>
    /// Kills and reaps the stub and its tracer thread, and forgets it. The ops still pending can
    /// never run: they are discarded, counted in <see cref="StubStatistics.DiscardedOperations"/>,
    /// and <paramref name="discardedOperations"/> says how many queued ops that was (0 on a second stop).
    /// </summary>
    public StubTermination Stop(out long discardedOperations)
    {
        var termination = _tracer.Stop(StopTimeout);
        if (termination is not null && Monitor.TryEnter(SyncRoot, StopTimeout))
        {
            try
            {
                discardedOperations = ReleaseResources();
            }
            finally
            {
                Monitor.Exit(SyncRoot);
            }
            StubRegistry.Remove(this, _nameReservation);
            return termination;
        }
        // Not reaped within the bound (a stub in a frozen cgroup dies only once thawed), or a
        // caller is still stuck in a round trip with it: say so now, and finish once it is reaped.
        Interlocked.CompareExchange(ref _stopping, new StubTermination(null, Native.Interop.SIGKILL, true,
            $"the stub (pid {ProcessId}) was sent SIGKILL but is not reaped yet after {StopTimeout.TotalSeconds:F0} s: it cannot run (a frozen cgroup?); UmlTlb reaps it as soon as it exits"), null);
        StubRegistry.Remove(this, _nameReservation);
        if (Interlocked.Exchange(ref _reaperStarted, 1) == 0)
        {
            new Thread(() =>
            {
                _tracer.Stop();
                lock (SyncRoot)
                {
                    ReleaseResources();
                }
            })
            { IsBackground = true, Name = "UmlTlb reaper " + Name }.Start();
        }
        // Counted in DiscardedOperations once the queue can be reached.
        discardedOperations = 0;
        return _stopping!;
    }

    /// <summary>
    /// Discards the queue and frees the data area and the memfds; under the lock. Every use of them
    /// checks, under this lock, that the stub still runs; Enqueue checks it too, so nothing joins the
    /// queue once it is discarded here.
    /// </summary>
    private long ReleaseResources()
    {
        long discarded = DiscardPending(null);
        Data.Dispose();
        _dataFd.Dispose();
        _physicalMemoryFd.Dispose();
        return discarded;
    }

    /// <summary>
    /// Validates and queues one op for <paramref name="owner"/> (default <see cref="VmOpOwner.Default"/>),
    /// merging it into the newest pending op when it has the same owner and the seed's rules allow.
    /// </summary>
    public QueuedOp Enqueue(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset, bool coalesce = true, VmOpOwner? owner = null)
    {
        if (VmOpValidator.Check(this, kind, address, length, protection, offset) is { } rejection)
        {
            throw new VmOpRejectedException(rejection);
        }
        owner ??= VmOpOwner.Default;
        // Also before the lock: a stub being stopped may still be held by a caller stuck with it.
        ThrowIfNotRunning();
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            var ticket = owner.TicketFor(this);
            var queued = Queue.Add(ticket, kind, address, length, protection, offset, coalesce);
            ticket.PendingOperations++;
            if (queued.Coalesced)
            {
                Counters.CoalescedOperations++;
            }
            return queued;
        }
    }

    /// <summary>Validates and queues <paramref name="op"/> for <paramref name="owner"/>, and records in it where it went.</summary>
    public QueuedOp Enqueue(VmOp op, bool coalesce = true, VmOpOwner? owner = null)
    {
        var queued = Enqueue(op.Operation, op.Address, op.Length, op.Protection, op.Offset, coalesce, owner);
        op.Stub = this;
        op.Owner = owner ?? VmOpOwner.Default;
        op.HostOp = queued.HostSequence;
        op.Coalesced = queued.Coalesced;
        return queued;
    }

    /// <summary>The reason an op would be refused, or null when it may be queued.</summary>
    public VmOpRejection? Validate(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset) =>
        VmOpValidator.Check(this, kind, address, length, protection, offset);

    /// <summary>Starts a flush of this stub's queue that serves engine callers (<see cref="VmOpOwner.Default"/>).</summary>
    public VmFlush BeginFlush(bool continueOnError = false)
    {
        var flush = BeginFlush(continueOnError, keepResults: true);
        flush.Adopt(VmOpOwner.Default);
        return flush;
    }

    /// <summary>
    /// Starts a flush of this stub's queue that serves the owners it is given with
    /// <see cref="VmFlush.Adopt"/>; without <paramref name="keepResults"/> only failures are kept as objects.
    /// </summary>
    public VmFlush BeginFlush(bool continueOnError, bool keepResults)
    {
        // A flush of an empty queue makes no round trip: say here that the stub is gone.
        ThrowIfNotRunning();
        StopNotifications.Suppress();
        return new(this, continueOnError, keepResults);
    }

    /// <summary>Pending host ops, oldest first, as VmOp objects (without their owner: they are for looking at).</summary>
    public IReadOnlyList<VmOp> GetPendingOperations()
    {
        lock (SyncRoot)
        {
            var list = new List<VmOp>(Queue.Count);
            foreach (ref readonly var op in Queue.Pending)
            {
                list.Add(new VmOp
                {
                    Operation = op.Kind, Address = op.Address, Length = op.Length, Protection = op.Protection,
                    Offset = op.Offset, Stub = this, HostOp = op.Sequence, Coalesced = op.MergedCount > 1,
                });
            }
            return list;
        }
    }

    /// <summary>True when host op <paramref name="sequence"/> is still waiting in the queue.</summary>
    public bool IsPending(long sequence)
    {
        lock (SyncRoot)
        {
            // The queue is in sequence order.
            var pending = Queue.Pending;
            int lo = 0, hi = pending.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (pending[mid].Sequence < sequence)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo < pending.Length && pending[lo].Sequence == sequence;
        }
    }

    /// <summary>Discards the pending ops of every owner; returns how many host ops were dropped.</summary>
    public int ClearPendingOperations()
    {
        lock (SyncRoot)
        {
            int n = Queue.Count;
            DiscardPending(null);
            return n;
        }
    }

    /// <summary>True when host op <paramref name="sequence"/> was one of the last discards' ops (Clear-VmOp, a pipeline that ended early, Stop).</summary>
    public bool WasDiscarded(long sequence)
    {
        lock (SyncRoot)
        {
            return _discarded.Any(d => sequence >= d.From && sequence <= d.To);
        }
    }

    /// <summary>
    /// Drops the pending host ops of <paramref name="ticket"/> (of everyone when null) unrun, tells
    /// their owners, and returns how many queued ops they held.
    /// </summary>
    internal long DiscardPending(VmOpTicket? ticket, long firstSequence = 0)
    {
        lock (SyncRoot)
        {
            long ops = 0;
            var pending = Queue.Pending;
            if (pending.Length > 0)
            {
                // Remembered for a VmOp piped in later; bounded, so that a long-lived stub keeps no history.
                _discarded.Enqueue((Math.Max(firstSequence, pending[0].Sequence), pending[^1].Sequence));
                if (_discarded.Count > 64)
                {
                    _discarded.Dequeue();
                }
            }
            foreach (var (owner, n) in Queue.RemoveAll(ticket, firstSequence))
            {
                owner.Discard(n);
                ops += n;
            }
            Counters.Discarded += ops;
            return ops;
        }
    }

    public StubStatistics GetStatistics()
    {
        long switches = ProcStatus.TryRead(ProcessId)?.VoluntaryContextSwitches ?? -1;
        lock (SyncRoot)
        {
            return new StubStatistics
            {
                Stub = this,
                SingleCalls = Counters.SingleCalls,
                Batches = Counters.Batches,
                BatchedOperations = Counters.BatchedOperations,
                CoalescedOperations = Counters.CoalescedOperations,
                RoundTrips = Counters.RoundTrips,
                Failed = Counters.Failed,
                DiscardedOperations = Counters.Discarded,
                TimeInStub = Counters.TimeInStub,
                VoluntaryContextSwitches = State == StubState.Running ? switches : -1,
            };
        }
    }

    /// <summary>Checks <paramref name="expectation"/> against /proc/pid/maps; <paramref name="actual"/> says what is mapped there.</summary>
    public bool MeetsMapping(MappingExpectation expectation, out string actual)
    {
        var maps = GetMappings(all: true);
        actual = expectation.DescribeActual(maps);
        return expectation.IsMetBy(maps, "/memfd:" + PhysicalMemoryName(Id));
    }

    /// <summary>The stub's mappings from /proc/pid/maps; without <paramref name="all"/> only those below UserAddressLimit.</summary>
    public IReadOnlyList<MemoryMapping> GetMappings(bool all = false)
    {
        ThrowIfNotRunning();
        var maps = ProcMaps.Read(ProcessId);
        return all ? maps : maps.Where(m => m.Start < UserAddressLimit).ToList();
    }

    /// <summary>Reads the stub's own view of its memory (process_vm_readv).</summary>
    public byte[] ReadMemory(ulong address, int length)
    {
        ThrowIfNotRunning();
        return StubMemoryReader.Read(ProcessId, address, length);
    }

    public void WritePhysicalMemory(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            PhysicalMemory.Write(offset, data);
        }
    }

    public byte[] ReadPhysicalMemory(ulong offset, int length)
    {
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            return PhysicalMemory.Read(offset, length);
        }
    }

    /// <summary>Runs any syscall through syscall_stub; for tests and diagnostics.</summary>
    internal long RunSingleSyscall(long nr, params ulong[] args)
    {
        var all = new ulong[6];
        args.CopyTo(all, 0);
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            long result = RoundTrip.RunSingle(nr, all);
            Counters.RoundTrips++;
            return result;
        }
    }

    /// <summary>Runs raw tuples through batch_syscall_stub; returns each one's result and how many ran.</summary>
    internal (long[] Results, int Executed) RunBatchSyscalls(bool continueOnError, params (long Nr, ulong[] Args)[] tuples)
    {
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            for (int i = 0; i < tuples.Length; i++)
            {
                var a = new ulong[6];
                tuples[i].Args.CopyTo(a, 0);
                Data.WriteTuple(i, tuples[i].Nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            }
            Data.Terminate(tuples.Length);
            Data[StubDataLayout.Flags] = continueOnError ? (ulong)StubDataLayout.FlagContinue : 0;
            RoundTrip.RunBatch();
            Counters.RoundTrips++;
            int executed = ReadExecuted(tuples.Length);
            var results = new long[tuples.Length];
            for (int i = 0; i < executed; i++)
            {
                results[i] = Abi.ToResult(Data.TupleResult(i));
            }
            return (results, executed);
        }
    }

    /// <summary>
    /// How many of the batch's <paramref name="count"/> tuples the stub says it ran. The data
    /// area is shared with a process the engine does not trust: a count beyond the batch
    /// means the stub or its data area was tampered with, and what ran is unknown. The stub
    /// is then killed (Faulted, saying why) and this throws, instead of reading past the batch.
    /// </summary>
    internal int ReadExecuted(int count)
    {
        ulong executed = Data[StubDataLayout.Executed];
        if (executed <= (ulong)count)
        {
            return (int)executed;
        }
        var termination = _tracer.Fault($"wrote back an executed count of {executed} for a batch of {count}: UmlTlb killed it, as what it ran is unknown");
        throw new StubExitedException(Name, termination);
    }

    public override string ToString() => $"{Name} (pid {ProcessId}, {State})";

    internal void ThrowIfNotRunning()
    {
        if (Termination is { } termination)
        {
            throw new StubExitedException(Name, termination);
        }
    }

    private void CheckLayout()
    {
        // The stub publishes its layout; trust it only if the data area really is where it says.
        ulong code = Data[StubDataLayout.StubCode];
        if (Data[StubDataLayout.StubData] != code + StubDataLayout.PageSize
            || Data[StubDataLayout.SyscallStub] <= code || Data[StubDataLayout.BatchStub] <= code
            || code >= Abi.TaskSize)
        {
            var error = new InvalidOperationException($"Stub '{Name}' reported an inconsistent layout (code 0x{code:x}, data 0x{Data[StubDataLayout.StubData]:x}).");
            Stop();
            throw error;
        }
    }
}
