using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Dptr.MLNet.Data;

/// <summary>
/// A managed, read-only reader of LMDB 0.9 data files (<c>data.mdb</c>, on-disk version 1, 64-bit), the format
/// written by py-lmdb and therefore by PARSeq, OpenOCR and MMOCR dataset tools (no native LMDB is loaded).
/// The file is memory-mapped;
/// lookups walk the B+tree of the main database (plain keys, no duplicates, no sub-databases).
/// </summary>
internal sealed unsafe class Lmdb09File : IDisposable
{
    // Layout of LMDB 0.9 (mdb.c): 16-byte page header, MDB_meta after it, nodes of 8-byte header + key + data.
    internal const uint Magic = 0xBEEFC0DE;
    internal const int PageHeader = 16;
    internal const ushort PBranch = 0x01, PLeaf = 0x02, POverflow = 0x04, PMeta = 0x08, PLeaf2 = 0x20;
    internal const ushort FBigData = 0x01, FSubData = 0x02, FDupData = 0x04;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly int _pageSize;
    private readonly ulong _root;
    private readonly int _depth;

    private Lmdb09File(string file, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr, long length, int pageSize, ulong root, int depth)
    {
        File = file;
        _map = map;
        _view = view;
        _base = basePtr;
        _length = length;
        _pageSize = pageSize;
        _root = root;
        _depth = depth;
    }

    public string File { get; }

    public long Entries { get; private init; }

    /// <summary>The on-disk version of <paramref name="dataFile"/> (1 for LMDB 0.9), or -1 when it is not an LMDB file.</summary>
    public static int ReadVersion(string dataFile)
    {
        Span<byte> head = stackalloc byte[32];
        using var fs = new FileStream(dataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n < 32) return -1;
        // 0.9: magic at 16; 1.0: 24-byte page header, magic at 24.
        if (BinaryPrimitives.ReadUInt32LittleEndian(head[16..]) == Magic) return (int)BinaryPrimitives.ReadUInt32LittleEndian(head[20..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head[24..]) == Magic) return (int)BinaryPrimitives.ReadUInt32LittleEndian(head[28..]);
        return -1;
    }

    public static Lmdb09File Open(string dataFile)
    {
        long length = new FileInfo(dataFile).Length;
        if (length < 2 * 512) throw Corrupt(dataFile, $"file is only {length} bytes");
        var map = MemoryMappedFile.CreateFromFile(new FileStream(dataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite),
            null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        ptr += view.PointerOffset;
        try
        {
            var meta0 = new ReadOnlySpan<byte>(ptr, 512);
            int pageSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(meta0[40..]); // mm_dbs[FREE].md_pad = page size
            if (BinaryPrimitives.ReadUInt32LittleEndian(meta0[16..]) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(meta0[20..]) != 1)
                throw Corrupt(dataFile, "not an LMDB 0.9 (version 1) data file");
            if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0 || length < 2L * pageSize)
                throw Corrupt(dataFile, $"invalid page size {pageSize}");
            // Two meta pages; the one with the larger transaction id is current.
            var m0 = new ReadOnlySpan<byte>(ptr, pageSize);
            var m1 = new ReadOnlySpan<byte>(ptr + pageSize, pageSize);
            bool m1Valid = BinaryPrimitives.ReadUInt32LittleEndian(m1[16..]) == Magic;
            var meta = m1Valid && BinaryPrimitives.ReadUInt64LittleEndian(m1[144..]) > BinaryPrimitives.ReadUInt64LittleEndian(m0[144..]) ? m1 : m0;
            // mm_dbs[MAIN] at 88: md_pad u32, md_flags u16, md_depth u16, branch, leaf, overflow, entries, root (u64 each).
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(meta[92..]);
            int depth = BinaryPrimitives.ReadUInt16LittleEndian(meta[94..]);
            long entries = (long)BinaryPrimitives.ReadUInt64LittleEndian(meta[120..]);
            ulong root = BinaryPrimitives.ReadUInt64LittleEndian(meta[128..]);
            if ((flags & 0x04) != 0) throw Corrupt(dataFile, "main database uses duplicate keys (MDB_DUPSORT), not an STR dataset");
            return new Lmdb09File(dataFile, map, view, ptr, length, pageSize, root, depth) { Entries = entries };
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => Get(_root, _depth, key, subDatabase: false);

    /// <summary>The value of <paramref name="key"/> in the named sub-database <paramref name="name"/> (null when either is absent).</summary>
    internal byte[]? GetInSubDatabase(ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
    {
        var db = Get(_root, _depth, name, subDatabase: true);
        if (db is null) return null;
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(db.AsSpan(6));
        ulong root = BinaryPrimitives.ReadUInt64LittleEndian(db.AsSpan(40));
        return Get(root, depth, key, subDatabase: false);
    }

    private byte[]? Get(ulong root, int depth, ReadOnlySpan<byte> key, bool subDatabase)
    {
        if (root == ulong.MaxValue || depth == 0) return null; // empty database
        ulong pgno = root;
        for (int level = 0; level < 64; level++)
        {
            var page = Page(pgno);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(page[10..]);
            int count = (BinaryPrimitives.ReadUInt16LittleEndian(page[12..]) - PageHeader) >> 1;
            if (count < 0 || PageHeader + 2 * count > _pageSize) throw Corrupt(File, $"page {pgno} has a bad node count");
            if ((flags & PBranch) != 0)
            {
                // Last child whose key <= search key; key 0 is -infinity.
                int lo = 1, hi = count - 1, child = 0;
                while (lo <= hi)
                {
                    int mid = (lo + hi) >> 1;
                    int c = key.SequenceCompareTo(NodeKey(page, mid, pgno));
                    if (c >= 0) { child = mid; lo = mid + 1; }
                    else hi = mid - 1;
                }
                var node = Node(page, child, pgno);
                pgno = BinaryPrimitives.ReadUInt16LittleEndian(node) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(node[2..]) << 16)
                       | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(node[4..]) << 32);
                continue;
            }
            if ((flags & PLeaf) == 0 || (flags & PLeaf2) != 0) throw Corrupt(File, $"page {pgno} is neither a branch nor a leaf page (flags 0x{flags:X})");
            int l = 0, h = count - 1;
            while (l <= h)
            {
                int mid = (l + h) >> 1;
                int c = key.SequenceCompareTo(NodeKey(page, mid, pgno));
                if (c == 0) return LeafValue(page, mid, pgno, subDatabase);
                if (c > 0) l = mid + 1;
                else h = mid - 1;
            }
            return null;
        }
        throw Corrupt(File, "B+tree deeper than 64 levels");
    }

    private ReadOnlySpan<byte> Page(ulong pgno)
    {
        long offset = (long)pgno * _pageSize;
        if (pgno > (ulong)(_length / _pageSize) || offset + _pageSize > _length) throw Corrupt(File, $"page {pgno} lies beyond the end of the file");
        return new ReadOnlySpan<byte>(_base + offset, _pageSize);
    }

    private ReadOnlySpan<byte> Node(ReadOnlySpan<byte> page, int index, ulong pgno)
    {
        int off = BinaryPrimitives.ReadUInt16LittleEndian(page[(PageHeader + 2 * index)..]);
        if (off < PageHeader || off + 8 > _pageSize) throw Corrupt(File, $"page {pgno} node {index} has a bad offset");
        return page[off..];
    }

    private ReadOnlySpan<byte> NodeKey(ReadOnlySpan<byte> page, int index, ulong pgno)
    {
        var node = Node(page, index, pgno);
        int ksize = BinaryPrimitives.ReadUInt16LittleEndian(node[6..]);
        if (8 + ksize > node.Length) throw Corrupt(File, $"page {pgno} node {index} key overruns the page");
        return node.Slice(8, ksize);
    }

    private byte[] LeafValue(ReadOnlySpan<byte> page, int index, ulong pgno, bool subDatabase)
    {
        var node = Node(page, index, pgno);
        long dsize = BinaryPrimitives.ReadUInt16LittleEndian(node) | ((long)BinaryPrimitives.ReadUInt16LittleEndian(node[2..]) << 16);
        ushort nflags = BinaryPrimitives.ReadUInt16LittleEndian(node[4..]);
        int ksize = BinaryPrimitives.ReadUInt16LittleEndian(node[6..]);
        if (subDatabase != ((nflags & FSubData) != 0) || (nflags & FDupData) != 0) throw Corrupt(File, $"page {pgno} node {index} is a sub-database, not a value");
        if ((nflags & FBigData) != 0)
        {
            ulong ovf = BinaryPrimitives.ReadUInt64LittleEndian(node[(8 + ksize)..]);
            long start = (long)ovf * _pageSize + PageHeader;
            if (ovf > (ulong)(_length / _pageSize) || start + dsize > _length) throw Corrupt(File, $"overflow page {ovf} lies beyond the end of the file");
            var first = Page(ovf);
            if ((BinaryPrimitives.ReadUInt16LittleEndian(first[10..]) & POverflow) == 0) throw Corrupt(File, $"page {ovf} is not an overflow page");
            return new ReadOnlySpan<byte>(_base + start, (int)dsize).ToArray();
        }
        if (8 + ksize + dsize > node.Length) throw Corrupt(File, $"page {pgno} node {index} value overruns the page");
        return node.Slice(8 + ksize, (int)dsize).ToArray();
    }

    private static InvalidDataException Corrupt(string file, string what) => new($"'{file}': corrupt or unsupported LMDB file: {what}.");

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
