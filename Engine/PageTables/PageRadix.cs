using System.Numerics;

namespace UmlTlb.PageTables;

/// <summary>
/// Page-table entries in a four-level radix tree of 512-way nodes over 4 KiB pages (48 bits, as
/// x86_64's pgd/pud/pmd/pte), allocated only where entries exist. Each node keeps a bitmap of its
/// present slots, so a walk visits set bits only: its cost follows the entries in the range,
/// never the range's size. Not thread-safe: <see cref="VmPageTable"/> serialises access.
/// </summary>
internal sealed class PageRadix
{
    public const int PageShift = 12;
    private const int Bits = 9;
    private const int Fanout = 1 << Bits;
    private const int Levels = 4;

    /// <summary>Pages the tree can index: 2^36, addresses below 2^48.</summary>
    public const ulong PageLimit = 1UL << (Bits * Levels);

    private readonly Node _root = new(leaf: false);

    public delegate void Visitor(ulong page, ref PageEntry entry);

    public long Count { get; private set; }

    /// <summary>The entry of <paramref name="page"/>, added (zeroed) when missing.</summary>
    public ref PageEntry GetOrAdd(ulong page, out bool added)
    {
        var node = _root;
        for (int level = 0; level < Levels - 1; level++)
        {
            int i = Slot(page, level);
            if (!node.IsSet(i))
            {
                node.Children![i] = new Node(leaf: level == Levels - 2);
                node.Set(i);
            }
            node = node.Children![i]!;
        }
        int slot = Slot(page, Levels - 1);
        added = !node.IsSet(slot);
        if (added)
        {
            node.Entries![slot] = default;
            node.Set(slot);
            Count++;
        }
        return ref node.Entries![slot];
    }

    /// <summary>Forgets the entry of <paramref name="page"/>, and the nodes it leaves empty.</summary>
    public void Remove(ulong page)
    {
        if (Remove(_root, 0, page))
        {
            Count--;
        }
    }

    /// <summary>Calls <paramref name="visit"/> for every entry of pages [firstPage, endPage), in address order.</summary>
    public void Walk(ulong firstPage, ulong endPage, Visitor visit)
    {
        if (firstPage < endPage)
        {
            Walk(_root, 0, 0, firstPage, Math.Min(endPage, PageLimit) - 1, visit);
        }
    }

    private static void Walk(Node node, int level, ulong basePage, ulong first, ulong last, Visitor visit)
    {
        int shift = Bits * (Levels - 1 - level);
        int lo = first <= basePage ? 0 : (int)((first - basePage) >> shift);
        int hi = (int)Math.Min(Fanout - 1, (last - basePage) >> shift);
        for (int w = lo >> 6; w <= hi >> 6; w++)
        {
            ulong bits = node.Present[w];
            if (w == lo >> 6)
            {
                bits &= ulong.MaxValue << (lo & 63);
            }
            if (w == hi >> 6 && (hi & 63) != 63)
            {
                bits &= (1UL << ((hi & 63) + 1)) - 1;
            }
            while (bits != 0)
            {
                int i = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                ulong childBase = basePage + ((ulong)i << shift);
                if (level == Levels - 1)
                {
                    visit(childBase, ref node.Entries![i]);
                }
                else
                {
                    Walk(node.Children![i]!, level + 1, childBase, first, last, visit);
                }
            }
        }
    }

    private static bool Remove(Node node, int level, ulong page)
    {
        int i = Slot(page, level);
        if (!node.IsSet(i))
        {
            return false;
        }
        if (level < Levels - 1)
        {
            var child = node.Children![i]!;
            if (!Remove(child, level + 1, page))
            {
                return false;
            }
            if (child.Used > 0)
            {
                return true;
            }
            node.Children[i] = null;
        }
        node.Clear(i);
        return true;
    }

    private static int Slot(ulong page, int level) => (int)((page >> (Bits * (Levels - 1 - level))) & (Fanout - 1));

    private sealed class Node
    {
        public readonly ulong[] Present = new ulong[Fanout / 64];
        public readonly Node?[]? Children;
        public readonly PageEntry[]? Entries;
        public int Used;

        public Node(bool leaf)
        {
            if (leaf)
            {
                Entries = new PageEntry[Fanout];
            }
            else
            {
                Children = new Node?[Fanout];
            }
        }

        public bool IsSet(int i) => (Present[i >> 6] & (1UL << (i & 63))) != 0;

        public void Set(int i)
        {
            Present[i >> 6] |= 1UL << (i & 63);
            Used++;
        }

        public void Clear(int i)
        {
            Present[i >> 6] &= ~(1UL << (i & 63));
            Used--;
        }
    }
}
