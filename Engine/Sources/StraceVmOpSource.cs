using UmlTlb.Abi;

namespace UmlTlb.Sources;

/// <summary>
/// Replays the memory calls of one address space of a recorded
/// <c>strace -f -e trace=mmap,munmap,mprotect,brk,mremap,clone,clone3,vfork,fork,execve</c>:
/// each successful mmap that returned A becomes a MAP_FIXED mmap at A of the next free
/// pages of the stub's physical-memory file; munmap and mprotect stay as they were;
/// brk growth maps the new heap pages rw- and shrinking unmaps them; mremap unmaps
/// what the mapping lost and maps rw- what it gained (all of it when it moved); an
/// execve of the followed process unmaps everything replayed so far. Lengths are
/// rounded up to whole pages. Failed calls, calls strace printed in two halves, and
/// ops that reach the stub's UserAddressLimit are left out and counted.
/// </summary>
internal sealed class StraceVmOpSource : VmOpSource
{
    private const ulong PageSize = StubDataLayout.PageSize;
    private const VmProtection HeapProtection = VmProtection.Read | VmProtection.Write;

    private readonly StreamReader _text;
    private readonly SourceTarget _target;
    private readonly int? _requestedPid;
    private readonly StraceLineReader _lines = new();
    private readonly Queue<SourceItem> _ready = new();
    private readonly Dictionary<int, int> _spaceOf = new();
    private readonly Dictionary<int, long> _otherPids = new();
    private int _nextSpace = 1;
    private int _followedPid = -1;
    private int _followedSpace = -1;
    private long _line;
    private ulong _nextOffset;
    private ulong _brk;
    private ulong _lowest = ulong.MaxValue, _highest;
    private long _unreadable;

    public StraceVmOpSource(string path, SourceTarget target, int? processId) : base(path)
    {
        _text = new StreamReader(File, System.Text.Encoding.UTF8, false, 1 << 16);
        _target = target;
        _requestedPid = processId;
        if (processId is { } pid)
        {
            _followedPid = pid;
        }
    }

    public override bool Read(out SourceItem item)
    {
        while (_ready.Count == 0)
        {
            string? line = _text.ReadLine();
            if (line is null)
            {
                item = default;
                return false;
            }
            _line++;
            Translate(line);
        }
        item = _ready.Dequeue();
        return true;
    }

    public override IEnumerable<string> Notes
    {
        get
        {
            if (_otherPids.Count > 0)
            {
                yield return $"{Path}: not replayed, other address spaces than pid {_followedPid}'s: "
                    + string.Join(", ", _otherPids.Select(p => $"pid {p.Key} ({p.Value} memory calls)"))
                    + ". Pick one with -ProcessId.";
            }
            if (_unreadable > 0)
            {
                yield return $"{Path}: {_unreadable} lines could not be read as strace output and were skipped.";
            }
        }
    }

    public override SourceRowError? FinalError =>
        _requestedPid is { } pid && _followedSpace < 0
            ? new SourceRowError(Path, 0, "ProcessId", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "UnknownProcessId",
                $"No process with pid {pid} appears in the trace{(_spaceOf.Count > 0 ? ": it has pids " + string.Join(", ", _spaceOf.Keys) : string.Empty)}.")
            : null;

    public override void Dispose()
    {
        _text.Dispose();
        base.Dispose();
    }

    private void Translate(string line)
    {
        switch (_lines.Read(line, out var call))
        {
            case StraceLineKind.Unreadable:
                _unreadable++;
                return;
            case StraceLineKind.Call:
                break;
            default:
                return;
        }
        int space = SpaceOf(call.Pid);
        switch (call.Name)
        {
            case "clone" or "clone3" or "vfork" or "fork":
                Cloned(call, space);
                return;
            case "execve" or "execveat":
                if (call.Succeeded)
                {
                    Executed(call.Pid);
                }
                return;
            case not ("mmap" or "mmap2" or "munmap" or "mprotect" or "brk" or "mremap"):
                return;
        }
        if (space != _followedSpace)
        {
            _otherPids[call.Pid] = _otherPids.GetValueOrDefault(call.Pid) + 1;
            return;
        }
        if (_lines.WasSplit)
        {
            // Still follow the program break, so that later brk calls translate right.
            if (call.Name == "brk" && call.Succeeded && StraceCall.TryParseNumber(call.Result, out ulong end))
            {
                _brk = _brk == 0 ? end : _brk;
            }
            LeaveOut($"{call.Name} was printed in two halves (<unfinished ...> and <... resumed>)");
            return;
        }
        if (!call.Succeeded)
        {
            LeaveOut($"{call.Name} failed: {call.Result}");
            return;
        }
        var args = call.SplitArguments();
        if (!TranslateMemoryCall(call, args))
        {
            _unreadable++;
        }
    }

    private bool TranslateMemoryCall(StraceCall call, IReadOnlyList<string> args)
    {
        ulong result, address, length, newLength;
        switch (call.Name)
        {
            case "mmap" or "mmap2":
                if (args.Count < 3 || !StraceCall.TryParseNumber(call.Result, out result) || !StraceCall.TryParseNumber(args[1], out length))
                {
                    return false;
                }
                Map(result, PageUp(length), Protection(args[2]));
                return true;
            case "munmap":
                if (args.Count < 2 || !StraceCall.TryParseNumber(args[0], out address) || !StraceCall.TryParseNumber(args[1], out length))
                {
                    return false;
                }
                Emit(VmOpKind.Munmap, address, PageUp(length), VmProtection.None, 0);
                return true;
            case "mprotect":
                if (args.Count < 3 || !StraceCall.TryParseNumber(args[0], out address) || !StraceCall.TryParseNumber(args[1], out length))
                {
                    return false;
                }
                Emit(VmOpKind.Mprotect, address, PageUp(length), Protection(args[2]), 0);
                return true;
            case "brk":
                if (!StraceCall.TryParseNumber(call.Result, out result))
                {
                    return false;
                }
                Break(result);
                return true;
            case "mremap":
                if (args.Count < 3 || !StraceCall.TryParseNumber(call.Result, out result) || !StraceCall.TryParseNumber(args[0], out address)
                    || !StraceCall.TryParseNumber(args[1], out length) || !StraceCall.TryParseNumber(args[2], out newLength))
                {
                    return false;
                }
                Remap(address, PageUp(length), result, PageUp(newLength));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The address space of <paramref name="pid"/>; the first pid seen (or the requested one) is the one replayed.</summary>
    private int SpaceOf(int pid)
    {
        if (!_spaceOf.TryGetValue(pid, out int space))
        {
            space = _spaceOf[pid] = _nextSpace++;
            if (_followedPid < 0)
            {
                _followedPid = pid;
            }
        }
        if (pid == _followedPid && _followedSpace < 0)
        {
            _followedSpace = space;
        }
        return space;
    }

    /// <summary>A child made with CLONE_VM (threads, vfork) shares its parent's address space until it execs.</summary>
    private void Cloned(StraceCall call, int parentSpace)
    {
        if (!call.Succeeded || !int.TryParse(call.Result.Split(' ')[0], out int child) || child <= 0)
        {
            return;
        }
        bool sharesMemory = call.Name == "vfork" || call.Arguments.Contains("CLONE_VM", StringComparison.Ordinal);
        // strace may print the child's first line before the parent's return: keep what that line decided.
        if (!_spaceOf.ContainsKey(child))
        {
            _spaceOf[child] = sharesMemory ? parentSpace : _nextSpace++;
        }
    }

    /// <summary>
    /// An exec leaves the address space: the followed process starts a fresh one (so
    /// everything replayed so far is unmapped); any other process just stops sharing ours.
    /// </summary>
    private void Executed(int pid)
    {
        int fresh = _nextSpace++;
        _spaceOf[pid] = fresh;
        if (pid != _followedPid)
        {
            return;
        }
        _followedSpace = fresh;
        if (_highest > _lowest)
        {
            Emit(VmOpKind.Munmap, _lowest, _highest - _lowest, VmProtection.None, 0);
        }
        _lowest = ulong.MaxValue;
        _highest = 0;
        _brk = 0;
    }

    private void Break(ulong end)
    {
        if (_brk == 0)
        {
            _brk = end; // brk(NULL) at start-up: where the heap begins, nothing mapped yet
            return;
        }
        ulong from = PageUp(_brk), to = PageUp(end);
        if (to > from)
        {
            Map(from, to - from, HeapProtection);
        }
        else if (to < from)
        {
            Emit(VmOpKind.Munmap, to, from - to, VmProtection.None, 0);
        }
        _brk = end;
    }

    private void Remap(ulong oldAddress, ulong oldLength, ulong newAddress, ulong newLength)
    {
        if (newAddress == oldAddress)
        {
            if (newLength > oldLength)
            {
                Map(oldAddress + oldLength, newLength - oldLength, HeapProtection);
            }
            else if (newLength < oldLength)
            {
                Emit(VmOpKind.Munmap, oldAddress + newLength, oldLength - newLength, VmProtection.None, 0);
            }
            return;
        }
        Emit(VmOpKind.Munmap, oldAddress, oldLength, VmProtection.None, 0);
        Map(newAddress, newLength, HeapProtection);
    }

    /// <summary>An mmap of the next free pages of the physical-memory file, from its start again once it is used up.</summary>
    private void Map(ulong address, ulong length, VmProtection protection)
    {
        if (length > _target.PhysicalMemorySize)
        {
            LeaveOut($"mmap of 0x{length:x} bytes at 0x{address:x} is larger than the stub's physical-memory file (0x{_target.PhysicalMemorySize:x} bytes)");
            return;
        }
        if (_nextOffset + length > _target.PhysicalMemorySize)
        {
            _nextOffset = 0;
        }
        if (Emit(VmOpKind.Mmap, address, length, protection, _nextOffset))
        {
            _nextOffset += length;
            _lowest = Math.Min(_lowest, address);
            _highest = Math.Max(_highest, address + length);
        }
    }

    private bool Emit(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset)
    {
        if (length == 0)
        {
            return false;
        }
        if (address >= _target.UserAddressLimit || length > _target.UserAddressLimit - address)
        {
            LeaveOut($"{kind} 0x{address:x}-0x{address + length:x} reaches the stub's UserAddressLimit 0x{_target.UserAddressLimit:x}");
            return false;
        }
        _ready.Enqueue(SourceItem.Op(_line, kind, address, length, protection, offset));
        return true;
    }

    private void LeaveOut(string why) => _ready.Enqueue(SourceItem.Left(_line, why));

    private static ulong PageUp(ulong length) => length > ulong.MaxValue - (PageSize - 1) ? ulong.MaxValue & ~(PageSize - 1) : (length + PageSize - 1) & ~(PageSize - 1);

    /// <summary>PROT_READ|PROT_WRITE|PROT_EXEC as strace names them; PROT_NONE and other bits (PROT_GROWSDOWN) add nothing.</summary>
    private static VmProtection Protection(string text)
    {
        var protection = VmProtection.None;
        foreach (var flag in text.Split('|', StringSplitOptions.TrimEntries))
        {
            protection |= flag switch
            {
                "PROT_READ" => VmProtection.Read,
                "PROT_WRITE" => VmProtection.Write,
                "PROT_EXEC" => VmProtection.Execute,
                _ => VmProtection.None,
            };
        }
        return protection;
    }
}
