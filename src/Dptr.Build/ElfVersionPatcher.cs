using System.Buffers.Binary;
using System.Text;

namespace Dptr.Build;

/// <summary>
/// Marks one symbol-version requirement of an ELF shared library weak (<c>VER_FLG_WEAK</c> in its
/// <c>.gnu.version_r</c> section). TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires
/// <c>GLIBCXX_3.4.32</c> (GCC 13) for <c>std::ios_base_library_init</c>, which it never calls; Debian 12's
/// libstdc++ stops at 3.4.30, so without the patch the loader refuses the library. Only build-output copies
/// are patched, never the NuGet cache, and only when the system libstdc++ lacks the version.
/// </summary>
internal static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const string LibraryName = "libLibTorchSharp.so";

    /// <summary>
    /// Patches every <c>libLibTorchSharp.so</c> under <paramref name="folder"/> when this system's libstdc++ lacks
    /// <paramref name="version"/>, or always with <paramref name="always"/> (for output that will run on other systems,
    /// e.g. a tool package; a weak requirement is harmless where the version exists). Yields one line per file changed.
    /// </summary>
    public static IEnumerable<string> PatchFolder(string folder, string version, bool always = false)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(folder)) yield break;
        if (!always && SystemHasVersion(version)) yield break;
        foreach (string path in Directory.EnumerateFiles(folder, LibraryName, SearchOption.AllDirectories))
        {
            int changed = MarkWeak(path, version);
            if (changed > 0) yield return $"marked {version} weak in {path}";
        }
    }

    /// <summary>True when a system libstdc++ already defines <paramref name="version"/>.</summary>
    internal static bool SystemHasVersion(string version)
    {
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        ];
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string c in candidates)
        {
            if (!File.Exists(c)) continue;
            byte[] bytes = File.ReadAllBytes(c);
            return bytes.AsSpan().IndexOf(needle) >= 0;
        }
        return false; // no libstdc++ found where expected: patching is harmless
    }

    /// <summary>Sets VER_FLG_WEAK on every requirement named <paramref name="version"/>; returns how many changed.</summary>
    internal static int MarkWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{path} is not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported");

        var span = elf.AsSpan();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)(shoff + (ulong)(i * shentsize))..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            int offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]); // sh_info = number of Verneed entries
            var strSh = span[(int)(shoff + (ulong)(link * shentsize))..];
            int strOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]);

            int need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                int aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    int nameOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    if (ReadString(span, strOffset + nameOffset) == version)
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(span[(aux + 4)..], (ushort)(flags | VerFlgWeak));
                            changed++;
                        }
                    }
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                int next = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
                if (next == 0) break;
                need += next;
            }
        }
        if (changed > 0)
        {
            string temp = path + ".dptr-tmp";
            File.WriteAllBytes(temp, elf);
            File.Move(temp, path, overwrite: true);
        }
        return changed;
    }

    private static string ReadString(ReadOnlySpan<byte> span, int offset)
    {
        int end = span[offset..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(offset, end));
    }
}
