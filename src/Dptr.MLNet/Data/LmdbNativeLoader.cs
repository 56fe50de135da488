using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LightningDB;

namespace Dptr.MLNet.Data;

/// <summary>
/// Makes LightningDB's native <c>liblmdb.so</c> loadable on glibc older than 2.38 (e.g. Debian 12, glibc 2.36).
/// </summary>
/// <remarks>
/// LightningDB 0.23.1 ships an LMDB built against glibc 2.38 whose only 2.38 symbol is <c>__isoc23_strtol</c>
/// (C23 <c>strtol</c>, which only adds <c>0b</c> prefixes). When the normal load fails, a copy of the library is
/// made in a per-user cache folder with that reference redirected to plain <c>strtol</c> (an unversioned
/// reference, and the <c>GLIBC_2.38</c> requirement marked weak), and the copy is loaded instead. The package
/// cache and the build output are never modified.
/// </remarks>
internal static class LmdbNativeLoader
{
    private static int _installed;

    /// <summary>Installs the import resolver for LightningDB once per process.</summary>
    public static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone else already installed a resolver for LightningDB; trust it.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "lmdb") return IntPtr.Zero;
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out IntPtr handle)) return handle;
        if (!OperatingSystem.IsLinux()) return IntPtr.Zero;
        string? shipped = FindShipped(assembly);
        if (shipped is null) return IntPtr.Zero;
        string patched = PatchedCopy(shipped);
        return NativeLibrary.Load(patched);
    }

    private static string? FindShipped(Assembly assembly)
    {
        string rid = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "linux-x64",
            Architecture.Arm64 => "linux-arm64",
            Architecture.Arm => "linux-arm",
            _ => "",
        };
        var dirs = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(assembly.Location) ?? "" }.Where(d => d.Length > 0).Distinct();
        foreach (var dir in dirs)
        {
            foreach (var candidate in new[] { Path.Combine(dir, "runtimes", rid, "native", "liblmdb.so"), Path.Combine(dir, "liblmdb.so") })
                if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string PatchedCopy(string shipped)
    {
        byte[] elf = File.ReadAllBytes(shipped);
        string hash = Convert.ToHexString(SHA256.HashData(elf))[..16].ToLowerInvariant();
        string dir = Path.Combine(Path.GetTempPath(), "dptr-native-" + Environment.UserName, hash);
        string target = Path.Combine(dir, "liblmdb.so");
        if (File.Exists(target)) return target;
        RedirectIsoC23(elf, shipped);
        Directory.CreateDirectory(dir);
        string temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, elf);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    /// <summary>Redirects every undefined <c>__isoc23_*</c> reference to its classic name; marks GLIBC_2.38 weak.</summary>
    internal static int RedirectIsoC23(byte[] elf, string path)
    {
        const uint ShtDynsym = 11, ShtVersym = 0x6fffffff, ShtVerneed = 0x6ffffffe;
        var s = elf.AsSpan();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path}: not a 64-bit little-endian ELF library.");
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);
        (ulong off, ulong size, uint link, uint info)? dynsym = null, versym = null, verneed = null;
        var sections = new List<(uint type, ulong off, ulong size, uint link, uint info)>();
        for (int i = 0; i < shnum; i++)
        {
            var h = s[(int)(shoff + (ulong)(i * shentsize))..];
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
            ulong off = BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(h[0x2C..]);
            sections.Add((type, off, size, link, info));
            if (type == ShtDynsym) dynsym = (off, size, link, info);
            else if (type == ShtVersym) versym = (off, size, link, info);
            else if (type == ShtVerneed) verneed = (off, size, link, info);
        }
        if (dynsym is null) throw new InvalidDataException($"{path}: no dynamic symbol table.");
        ulong strOff = sections[(int)dynsym.Value.link].off;
        int count = (int)(dynsym.Value.size / 24), changed = 0;
        byte[] prefix = "__isoc23_"u8.ToArray();
        for (int i = 1; i < count; i++)
        {
            int sym = (int)dynsym.Value.off + 24 * i;
            uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(s[sym..]);
            ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(s[(sym + 6)..]);
            if (shndx != 0) continue; // defined here: leave alone
            if (!s[(int)(strOff + nameOff)..].StartsWith(prefix)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(s[sym..], nameOff + (uint)prefix.Length);
            if (versym is not null) BinaryPrimitives.WriteUInt16LittleEndian(s[((int)versym.Value.off + 2 * i)..], 1);
            changed++;
        }
        if (verneed is not null)
        {
            ulong vstr = sections[(int)verneed.Value.link].off;
            int pos = (int)verneed.Value.off;
            for (uint n = 0; n < verneed.Value.info; n++)
            {
                ushort cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(pos + 2)..]);
                uint aux = BinaryPrimitives.ReadUInt32LittleEndian(s[(pos + 8)..]);
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(s[(pos + 12)..]);
                int a = pos + (int)aux;
                for (int k = 0; k < cnt; k++)
                {
                    uint vname = BinaryPrimitives.ReadUInt32LittleEndian(s[(a + 8)..]);
                    var name = s[(int)(vstr + vname)..];
                    name = name[..name.IndexOf((byte)0)];
                    if (Encoding.ASCII.GetString(name) == "GLIBC_2.38")
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(s[(a + 4)..]);
                        BinaryPrimitives.WriteUInt16LittleEndian(s[(a + 4)..], (ushort)(flags | 0x2));
                    }
                    a += (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(a + 12)..]);
                }
                if (next == 0) break;
                pos += (int)next;
            }
        }
        return changed;
    }
}
