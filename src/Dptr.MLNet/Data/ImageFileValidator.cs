using System.Buffers.Binary;

namespace Dptr.MLNet.Data;

/// <summary>
/// Checks an image file before anything decodes it: the format is sniffed from its header (PNG, JPEG, BMP, GIF, WebP),
/// the size is read from the header and bounded (<see cref="MaxSide"/>, <see cref="MaxPixels"/>), and a file that ends
/// before its format's end marker (a truncated download or copy) is refused, so it is never half-decoded and
/// "recognized". Only the header and the tail are read: a 12,000×12,000 PNG is refused without allocating its pixels.
/// </summary>
/// <remarks>
/// 16-bit PNG, grayscale, palette, CMYK JPEG and 1×1 images pass: the ML.NET image pipeline decodes them to 8-bit RGB.
/// Every refusal is an <see cref="InvalidDataException"/> (or <see cref="FileNotFoundException"/>) whose message names the
/// file and says what was expected.
/// </remarks>
public static class ImageFileValidator
{
    /// <summary>Largest accepted width or height, in pixels.</summary>
    public const int MaxSide = 16_384;

    /// <summary>Largest accepted pixel count (64 Mi pixels, 256 MiB as RGBA): a guard against decompression bombs.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    private const string Expected = "expected a PNG, JPEG, BMP, GIF or WebP image";

    /// <summary>Checks <paramref name="path"/> and returns what its header says.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (a folder is reported as such).</exception>
    /// <exception cref="InvalidDataException">Empty, not an image, truncated, or too large; the message names the file.</exception>
    public static ImageFileInfo Check(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"'{path}' is a folder; {Expected} file");
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: '{path}'", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
        long length = stream.Length;
        if (length == 0) throw new InvalidDataException($"'{path}' is empty (0 bytes); {Expected}");
        var head = new byte[(int)Math.Min(length, 64)];
        stream.ReadExactly(head);
        var info = Sniff(path, stream, head, length);
        if (info.Width < 1 || info.Height < 1)
            throw new InvalidDataException($"'{path}': its {info.Format} header says {info.Width}×{info.Height} pixels; an image needs at least 1×1");
        if (info.Width > MaxSide || info.Height > MaxSide || info.PixelCount > MaxPixels)
            throw new InvalidDataException(
                $"'{path}' is {info.Width}×{info.Height} pixels; images are limited to {MaxSide} per side and {MaxPixels / (1024 * 1024)} Mi pixels (shrink it first)");
        return info;
    }

    /// <summary>Like <see cref="Check"/>, but returns false and the reason instead of throwing.</summary>
    public static bool TryCheck(string path, out ImageFileInfo? info, out string? error)
    {
        try
        {
            info = Check(path);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            info = null;
            error = ex.Message;
            return false;
        }
    }

    private static ImageFileInfo Sniff(string path, Stream s, byte[] head, long length)
    {
        ReadOnlySpan<byte> h = head;
        if (h.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return Png(path, s, length);
        if (h.Length >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return Jpeg(path, s, length);
        if (h.StartsWith("BM"u8)) return Bmp(path, h, length);
        if (h.StartsWith("GIF87a"u8) || h.StartsWith("GIF89a"u8)) return Gif(path, s, h, length);
        if (h.Length >= 12 && h.StartsWith("RIFF"u8) && h[8..12].SequenceEqual("WEBP"u8)) return WebP(path, h, length);
        throw new InvalidDataException($"'{path}' is not an image (unknown header {Hex(h[..Math.Min(8, h.Length)])}); {Expected}");
    }

    private static InvalidDataException Truncated(string path, string format, string detail) =>
        new($"'{path}' is a truncated or corrupt {format} ({detail}); re-export or re-download it");

    private static ImageFileInfo Png(string path, Stream s, long length)
    {
        // Walk the chunks: IHDR first, then every chunk must fit in the file, ending with IEND.
        long pos = 8;
        var chunk = new byte[8];
        int width = 0, height = 0, depth = 0, colorType = -1;
        bool first = true;
        while (true)
        {
            if (pos + 12 > length) throw Truncated(path, "PNG", $"it ends at byte {length} inside a chunk header, before the IEND chunk");
            s.Position = pos;
            s.ReadExactly(chunk);
            long size = BinaryPrimitives.ReadUInt32BigEndian(chunk);
            string type = System.Text.Encoding.ASCII.GetString(chunk, 4, 4);
            if (first)
            {
                if (type != "IHDR" || size < 13) throw Truncated(path, "PNG", "its first chunk is not IHDR");
                var ihdr = new byte[13];
                s.ReadExactly(ihdr);
                width = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(ihdr));
                height = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
                depth = ihdr[8];
                colorType = ihdr[9];
                first = false;
                // Bound the size before reading on: a bomb is refused on its header alone.
                if (width > MaxSide || height > MaxSide || (long)width * height > MaxPixels) break;
            }
            if (pos + 12 + size > length)
                throw Truncated(path, "PNG", $"chunk {type} at byte {pos} needs {size} bytes but the file ends at byte {length}");
            if (type == "IEND") break;
            pos += 12 + size;
        }
        string model = colorType switch
        {
            0 => "gray",
            2 => "RGB",
            3 => "palette",
            4 => "gray+alpha",
            6 => "RGBA",
            _ => throw new InvalidDataException($"'{path}': PNG colour type {colorType} is not defined by the PNG standard"),
        };
        return new ImageFileInfo(path, "PNG", width, height, depth, model);
    }

    private static ImageFileInfo Jpeg(string path, Stream s, long length)
    {
        // Segments until a start-of-frame marker gives the size; the file must end with EOI (FF D9).
        long pos = 2;
        var marker = new byte[4];
        int width = 0, height = 0, precision = 0, components = 0;
        while (true)
        {
            if (pos + 4 > length) throw Truncated(path, "JPEG", $"it ends at byte {length} before a frame header");
            s.Position = pos;
            s.ReadExactly(marker);
            if (marker[0] != 0xFF) throw Truncated(path, "JPEG", $"no segment marker at byte {pos}");
            byte code = marker[1];
            if (code == 0xFF) { pos++; continue; } // fill byte
            if (code is 0xD8 or (>= 0xD0 and <= 0xD7) or 0x01) { pos += 2; continue; }
            int size = BinaryPrimitives.ReadUInt16BigEndian(marker.AsSpan(2));
            if (code is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                var sof = new byte[6];
                if (pos + 4 + 6 > length) throw Truncated(path, "JPEG", "its frame header is cut off");
                s.ReadExactly(sof);
                precision = sof[0];
                height = BinaryPrimitives.ReadUInt16BigEndian(sof.AsSpan(1));
                width = BinaryPrimitives.ReadUInt16BigEndian(sof.AsSpan(3));
                components = sof[5];
                break;
            }
            if (code == 0xD9) throw Truncated(path, "JPEG", "it ends before any frame header");
            pos += 2 + size;
        }
        if (!EndsWithJpegEoi(s, length)) throw Truncated(path, "JPEG", "it does not end with the end-of-image marker FF D9");
        string model = components switch { 1 => "gray", 3 => "YCbCr", 4 => "CMYK", _ => "unknown" };
        if (model == "unknown") throw new InvalidDataException($"'{path}': JPEG with {components} colour components; expected 1 (gray), 3 (colour) or 4 (CMYK)");
        return new ImageFileInfo(path, "JPEG", width, height, precision, model);
    }

    private static bool EndsWithJpegEoi(Stream s, long length)
    {
        // Some writers pad after EOI; accept up to 32 trailing bytes.
        int n = (int)Math.Min(length, 34);
        var tail = new byte[n];
        s.Position = length - n;
        s.ReadExactly(tail);
        for (int i = n - 2; i >= 0; i--)
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9) return true;
        return false;
    }

    private static ImageFileInfo Bmp(string path, ReadOnlySpan<byte> h, long length)
    {
        if (h.Length < 30) throw Truncated(path, "BMP", "its header is cut off");
        long declared = BinaryPrimitives.ReadUInt32LittleEndian(h[2..]);
        int width = BinaryPrimitives.ReadInt32LittleEndian(h[18..]);
        int height = Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(h[22..]));
        int bpp = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
        if (declared > length) throw Truncated(path, "BMP", $"its header declares {declared} bytes but the file has {length}");
        string model = bpp switch { <= 8 => "palette", 24 => "RGB", 32 => "RGBA", _ => "RGB" };
        return new ImageFileInfo(path, "BMP", width, height, bpp <= 8 ? bpp : 8, model);
    }

    private static ImageFileInfo Gif(string path, Stream s, ReadOnlySpan<byte> h, long length)
    {
        if (h.Length < 10) throw Truncated(path, "GIF", "its header is cut off");
        int width = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        s.Position = length - 1;
        if (s.ReadByte() != 0x3B) throw Truncated(path, "GIF", "it does not end with the trailer byte 3B");
        return new ImageFileInfo(path, "GIF", width, height, 8, "palette");
    }

    private static ImageFileInfo WebP(string path, ReadOnlySpan<byte> h, long length)
    {
        long declared = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]) + 8L;
        if (declared > length) throw Truncated(path, "WebP", $"its RIFF header declares {declared} bytes but the file has {length}");
        if (h.Length < 30) throw Truncated(path, "WebP", "its header is cut off");
        var fourcc = h[12..16];
        int width, height;
        if (fourcc.SequenceEqual("VP8X"u8))
        {
            width = 1 + (h[24] | h[25] << 8 | h[26] << 16);
            height = 1 + (h[27] | h[28] << 8 | h[29] << 16);
        }
        else if (fourcc.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(h[21..]);
            width = 1 + (int)(bits & 0x3FFF);
            height = 1 + (int)((bits >> 14) & 0x3FFF);
        }
        else if (fourcc.SequenceEqual("VP8 "u8))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(h[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]) & 0x3FFF;
        }
        else throw new InvalidDataException($"'{path}': WebP chunk '{System.Text.Encoding.ASCII.GetString(fourcc)}' is not VP8, VP8L or VP8X");
        return new ImageFileInfo(path, "WebP", width, height, 8, "RGB");
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
