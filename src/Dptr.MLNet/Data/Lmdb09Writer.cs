using System.Buffers.Binary;

namespace Dptr.MLNet.Data;

/// <summary>
/// Bulk-writes an LMDB 0.9 data file (on-disk version 1, 64-bit, 4 KiB pages) from keys given in strictly
/// ascending byte order: leaf pages as entries arrive (values larger than a node go to overflow pages), then the
/// branch levels and the two meta pages. The result opens with py-lmdb (PARSeq, OpenOCR, MMOCR) and with
/// <see cref="Lmdb09File"/>. Layout follows LMDB's mdb.c: 16-byte page headers, 8-byte node headers, node
/// offsets growing up from the header and nodes growing down from the page end.
/// </summary>
internal sealed class Lmdb09Writer : IDisposable
{
    private const int PageHeader = Lmdb09File.PageHeader;
    private const int NodeHeader = 8;
    private const int MaxKeySize = 511;
    private readonly int _pageSize;
    private readonly int _nodeMax; // LMDB's me_nodemax: larger leaf nodes move their value to overflow pages
    private readonly FileStream _file;
    private readonly byte[] _leaf;
    private readonly List<(byte[] firstKey, ulong pgno)> _leaves = [];
    private byte[]? _lastKey;
    private byte[]? _leafFirstKey;
    private int _lower, _upper, _leafNodes;
    private ulong _nextPgno = 2; // pages 0 and 1 are the meta pages
    private long _entries, _leafPages, _branchPages, _overflowPages;

    public Lmdb09Writer(string dataFile, int pageSize = 4096)
    {
        _pageSize = pageSize;
        _nodeMax = (((pageSize - PageHeader) / 2) & ~1) - 2;
        _file = new FileStream(dataFile, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _leaf = new byte[pageSize];
        ResetLeaf();
    }

    public long Entries => _entries;

    /// <summary>Adds an entry; keys must arrive in strictly ascending byte order.</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length == 0 || key.Length > MaxKeySize) throw new ArgumentException($"LMDB keys must be 1..{MaxKeySize} bytes.", nameof(key));
        if (_lastKey is not null && key.SequenceCompareTo(_lastKey) <= 0)
            throw new InvalidOperationException("LMDB bulk writer: keys must be added in strictly ascending order.");
        bool big = NodeHeader + key.Length + value.Length > _nodeMax;
        int size = Even(NodeHeader + key.Length + (big ? 8 : value.Length));
        if (size + 2 > _upper - _lower) FlushLeaf();
        ulong overflow = big ? WriteOverflow(value) : 0;
        _upper -= size;
        var node = _leaf.AsSpan(_upper, size);
        node.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(node, (ushort)(value.Length & 0xFFFF));
        BinaryPrimitives.WriteUInt16LittleEndian(node[2..], (ushort)((uint)value.Length >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(node[4..], big ? Lmdb09File.FBigData : (ushort)0);
        BinaryPrimitives.WriteUInt16LittleEndian(node[6..], (ushort)key.Length);
        key.CopyTo(node[NodeHeader..]);
        if (big) BinaryPrimitives.WriteUInt64LittleEndian(node[(NodeHeader + key.Length)..], overflow);
        else value.CopyTo(node[(NodeHeader + key.Length)..]);
        BinaryPrimitives.WriteUInt16LittleEndian(_leaf.AsSpan(_lower), (ushort)_upper);
        _lower += 2;
        if (_leafNodes++ == 0) _leafFirstKey = key.ToArray();
        _lastKey = key.ToArray();
        _entries++;
    }

    /// <summary>Writes the branch levels and the meta pages, and flushes the file.</summary>
    public void Complete()
    {
        if (_leafNodes > 0) FlushLeaf();
        ulong root = ulong.MaxValue;
        int depth = 0;
        if (_leaves.Count > 0)
        {
            var level = _leaves;
            depth = 1;
            while (level.Count > 1)
            {
                level = WriteBranchLevel(level);
                depth++;
            }
            root = level[0].pgno;
        }
        var meta = new byte[_pageSize];
        for (ulong m = 0; m < 2; m++)
        {
            Array.Clear(meta);
            var s = meta.AsSpan();
            BinaryPrimitives.WriteUInt64LittleEndian(s, m);
            BinaryPrimitives.WriteUInt16LittleEndian(s[10..], Lmdb09File.PMeta);
            BinaryPrimitives.WriteUInt32LittleEndian(s[16..], Lmdb09File.Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);                                   // mm_version
            BinaryPrimitives.WriteUInt64LittleEndian(s[32..], _nextPgno * (ulong)_pageSize);         // mm_mapsize
            // mm_dbs[FREE_DBI] at 40: md_pad = page size, empty tree.
            BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)_pageSize);
            BinaryPrimitives.WriteUInt64LittleEndian(s[80..], ulong.MaxValue);
            // mm_dbs[MAIN_DBI] at 88.
            BinaryPrimitives.WriteUInt16LittleEndian(s[94..], (ushort)depth);
            BinaryPrimitives.WriteUInt64LittleEndian(s[96..], (ulong)_branchPages);
            BinaryPrimitives.WriteUInt64LittleEndian(s[104..], (ulong)_leafPages);
            BinaryPrimitives.WriteUInt64LittleEndian(s[112..], (ulong)_overflowPages);
            BinaryPrimitives.WriteUInt64LittleEndian(s[120..], (ulong)_entries);
            BinaryPrimitives.WriteUInt64LittleEndian(s[128..], root);
            BinaryPrimitives.WriteUInt64LittleEndian(s[136..], _nextPgno - 1);                       // mm_last_pg
            BinaryPrimitives.WriteUInt64LittleEndian(s[144..], 1);                                   // mm_txnid
            WritePage(m, meta);
        }
        _file.SetLength((long)_nextPgno * _pageSize);
        _file.Flush(flushToDisk: true);
    }

    public void Dispose() => _file.Dispose();

    private List<(byte[] firstKey, ulong pgno)> WriteBranchLevel(List<(byte[] firstKey, ulong pgno)> children)
    {
        var parents = new List<(byte[], ulong)>();
        var page = new byte[_pageSize];
        int i = 0;
        while (i < children.Count)
        {
            Array.Clear(page);
            int lower = PageHeader, upper = _pageSize, n = 0;
            byte[] first = children[i].firstKey;
            while (i < children.Count)
            {
                byte[] key = n == 0 ? [] : children[i].firstKey; // the first key of a branch page is implicit
                int size = Even(NodeHeader + key.Length);
                if (size + 2 > upper - lower) break;
                upper -= size;
                var node = page.AsSpan(upper, size);
                ulong child = children[i].pgno;
                BinaryPrimitives.WriteUInt16LittleEndian(node, (ushort)(child & 0xFFFF));
                BinaryPrimitives.WriteUInt16LittleEndian(node[2..], (ushort)((child >> 16) & 0xFFFF));
                BinaryPrimitives.WriteUInt16LittleEndian(node[4..], (ushort)((child >> 32) & 0xFFFF));
                BinaryPrimitives.WriteUInt16LittleEndian(node[6..], (ushort)key.Length);
                key.CopyTo(node[NodeHeader..]);
                BinaryPrimitives.WriteUInt16LittleEndian(page.AsSpan(lower), (ushort)upper);
                lower += 2;
                n++;
                i++;
            }
            ulong pgno = _nextPgno++;
            var h = page.AsSpan();
            BinaryPrimitives.WriteUInt64LittleEndian(h, pgno);
            BinaryPrimitives.WriteUInt16LittleEndian(h[10..], Lmdb09File.PBranch);
            BinaryPrimitives.WriteUInt16LittleEndian(h[12..], (ushort)lower);
            BinaryPrimitives.WriteUInt16LittleEndian(h[14..], (ushort)upper);
            WritePage(pgno, page);
            _branchPages++;
            parents.Add((first, pgno));
        }
        return parents;
    }

    private ulong WriteOverflow(ReadOnlySpan<byte> value)
    {
        int pages = (PageHeader + value.Length + _pageSize - 1) / _pageSize;
        ulong pgno = _nextPgno;
        _nextPgno += (ulong)pages;
        var buffer = new byte[pages * _pageSize];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, pgno);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(10), Lmdb09File.POverflow);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(12), (uint)pages);
        value.CopyTo(buffer.AsSpan(PageHeader));
        WritePage(pgno, buffer);
        _overflowPages += pages;
        return pgno;
    }

    private void FlushLeaf()
    {
        ulong pgno = _nextPgno++;
        var h = _leaf.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(h, pgno);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], Lmdb09File.PLeaf);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], (ushort)_lower);
        BinaryPrimitives.WriteUInt16LittleEndian(h[14..], (ushort)_upper);
        WritePage(pgno, _leaf);
        _leaves.Add((_leafFirstKey!, pgno));
        _leafPages++;
        ResetLeaf();
    }

    private void ResetLeaf()
    {
        Array.Clear(_leaf);
        _lower = PageHeader;
        _upper = _pageSize;
        _leafNodes = 0;
        _leafFirstKey = null;
    }

    private void WritePage(ulong pgno, byte[] data)
    {
        _file.Position = (long)pgno * _pageSize;
        _file.Write(data);
    }

    private static int Even(int n) => (n + 1) & ~1;
}
