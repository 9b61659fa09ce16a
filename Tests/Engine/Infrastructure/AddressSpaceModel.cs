using System.Text;

namespace UmlTlb.Tests.Infrastructure;

/// <summary>One mapped page as the model sees it: which page of the physical-memory file, with what protection.</summary>
public readonly record struct ModelPage(ulong Offset, VmProtection Protection);

/// <summary>
/// What Linux does to a stub's address space below UserAddressLimit, page by page:
/// mmap (MAP_SHARED|MAP_FIXED of the physical-memory file) replaces, munmap removes
/// (unmapped pages are fine), mprotect changes the pages from the start of its range
/// up to the first hole and fails with ENOMEM when it meets one, as do_mprotect_pkey does.
/// </summary>
public sealed class AddressSpaceModel
{
    public const int PageSize = 4096;
    public const long ENOMEM = -12;

    private readonly SortedDictionary<ulong, ModelPage> _pages = new();

    public IReadOnlyDictionary<ulong, ModelPage> Pages => _pages;

    public AddressSpaceModel Clone()
    {
        var copy = new AddressSpaceModel();
        foreach (var (k, v) in _pages)
        {
            copy._pages[k] = v;
        }
        return copy;
    }

    /// <summary>A model holding the pages of <paramref name="mappings"/> (the engine's shadow, say), to check against /proc.</summary>
    public static AddressSpaceModel FromMappings(IEnumerable<MemoryMapping> mappings)
    {
        var model = new AddressSpaceModel();
        foreach (var m in mappings)
        {
            model.Apply(VmOpKind.Mmap, m.Start, m.Length, m.Protection, m.Offset);
        }
        return model;
    }

    public bool IsMapped(ulong address) => _pages.ContainsKey(address);

    public bool FullyMapped(ulong address, ulong length)
    {
        for (ulong a = address; a < address + length; a += PageSize)
        {
            if (!_pages.ContainsKey(a))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Applies one op; returns what the syscall returns (mmap: the address; munmap, mprotect: 0 or -ENOMEM).</summary>
    public long Apply(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset)
    {
        switch (kind)
        {
            case VmOpKind.Mmap:
                for (ulong i = 0; i < length; i += PageSize)
                {
                    _pages[address + i] = new ModelPage(offset + i, protection);
                }
                return (long)address;
            case VmOpKind.Munmap:
                for (ulong i = 0; i < length; i += PageSize)
                {
                    _pages.Remove(address + i);
                }
                return 0;
            case VmOpKind.Mprotect:
                for (ulong i = 0; i < length; i += PageSize)
                {
                    if (!_pages.TryGetValue(address + i, out var page))
                    {
                        return ENOMEM;
                    }
                    _pages[address + i] = page with { Protection = protection };
                }
                return 0;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public static string Perms(VmProtection p) =>
        (p.HasFlag(VmProtection.Read) ? "r" : "-") + (p.HasFlag(VmProtection.Write) ? "w" : "-") + (p.HasFlag(VmProtection.Execute) ? "x" : "-");

    /// <summary>
    /// Checks /proc/pid/maps below UserAddressLimit against the model, page by page
    /// (the kernel merges adjacent VMAs as it likes): same pages, offsets and protection,
    /// all shared mappings of this stub's physical-memory file.
    /// </summary>
    public void AssertMapsMatch(StubProcess stub, string context)
    {
        var actual = new SortedDictionary<ulong, (ulong Offset, string Perms, string Path)>();
        foreach (var m in ProcView.Maps(stub.ProcessId).Where(m => m.Start < stub.UserAddressLimit))
        {
            for (ulong a = m.Start; a < m.End; a += PageSize)
            {
                actual[a] = (m.Offset + (a - m.Start), m.Perms, m.Path);
            }
        }
        var errors = new StringBuilder();
        int count = 0;
        void Error(string text)
        {
            if (++count <= 12)
            {
                errors.AppendLine(text);
            }
        }
        string physmem = $"/memfd:umltlb-physmem-{stub.Id} (deleted)";
        foreach (var (address, page) in _pages)
        {
            if (!actual.TryGetValue(address, out var a))
            {
                Error($"  0x{address:x}: expected {Perms(page.Protection)}s @0x{page.Offset:x}, not mapped");
            }
            else if (a.Offset != page.Offset || a.Perms != Perms(page.Protection) + "s" || a.Path != physmem)
            {
                Error($"  0x{address:x}: expected {Perms(page.Protection)}s @0x{page.Offset:x} {physmem}, maps has {a.Perms} @0x{a.Offset:x} {a.Path}");
            }
        }
        foreach (var (address, a) in actual)
        {
            if (!_pages.ContainsKey(address))
            {
                Error($"  0x{address:x}: expected unmapped, maps has {a.Perms} @0x{a.Offset:x} {a.Path}");
            }
        }
        if (count > 0)
        {
            Assert.Fail($"{context}: /proc/{stub.ProcessId}/maps differs from the model in {count} page(s):\n{errors}");
        }
    }

    /// <summary>
    /// Reads the stub's memory from outside (process_vm_readv): every readable page must hold
    /// its physical page's pattern. Unreadable pages (unmapped, or without PROT_READ) must
    /// refuse the read: all of them when <paramref name="allUnreadable"/>, else the first of each run.
    /// </summary>
    public void AssertMemoryMatches(StubProcess stub, ulong windowStart, int windowPages, PhysicalPattern pattern, string context, bool allUnreadable = true)
    {
        int i = 0;
        while (i < windowPages)
        {
            ulong address = windowStart + (ulong)i * PageSize;
            bool readable = Readable(address);
            int run = 1;
            while (i + run < windowPages && Readable(windowStart + (ulong)(i + run) * PageSize) == readable)
            {
                run++;
            }
            if (readable)
            {
                var bytes = stub.ReadMemory(address, run * PageSize);
                for (int p = 0; p < run; p++)
                {
                    ulong pageAddress = address + (ulong)p * PageSize;
                    var expected = pattern.Page(_pages[pageAddress].Offset);
                    if (!bytes.AsSpan(p * PageSize, PageSize).SequenceEqual(expected))
                    {
                        Assert.Fail($"{context}: memory at 0x{pageAddress:x} is not physical page 0x{_pages[pageAddress].Offset:x}'s pattern " +
                            $"(first word 0x{BitConverter.ToUInt64(bytes, p * PageSize):x}, expected 0x{BitConverter.ToUInt64(expected):x})");
                    }
                }
            }
            else
            {
                for (int p = 0; p < (allUnreadable ? run : 1); p++)
                {
                    ulong pageAddress = address + (ulong)p * PageSize;
                    var e = Record.Exception(() => stub.ReadMemory(pageAddress, 8));
                    Assert.True(e is UmlTlb.Views.UnmappedMemoryException,
                        $"{context}: reading 0x{pageAddress:x} ({(_pages.TryGetValue(pageAddress, out var mp) ? Perms(mp.Protection) : "unmapped")}) should fail, got {e?.GetType().Name ?? "data"}");
                }
            }
            i += run;
        }
    }

    private bool Readable(ulong address) => _pages.TryGetValue(address, out var p) && p.Protection.HasFlag(VmProtection.Read);
}

/// <summary>A distinct, recognisable byte pattern for every page of a physical-memory file.</summary>
public sealed class PhysicalPattern
{
    private readonly ulong _salt;

    public PhysicalPattern(ulong salt) => _salt = salt;

    public byte[] Page(ulong offset)
    {
        ulong page = offset / AddressSpaceModel.PageSize;
        var bytes = new byte[AddressSpaceModel.PageSize];
        for (int w = 0; w < AddressSpaceModel.PageSize / 8; w++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(w * 8), ((page + 1) << 40) ^ ((ulong)w << 8) ^ _salt);
        }
        return bytes;
    }

    /// <summary>Writes the pattern into the first <paramref name="pages"/> pages of the stub's physical memory.</summary>
    public void WriteTo(StubProcess stub, int pages)
    {
        for (int p = 0; p < pages; p++)
        {
            stub.WritePhysicalMemory((ulong)p * AddressSpaceModel.PageSize, Page((ulong)p * AddressSpaceModel.PageSize));
        }
    }
}
