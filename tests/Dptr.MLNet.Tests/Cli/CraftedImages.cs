using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>
/// Writes hostile and unusual image files for the bad-input tests, byte by byte (no binary fixtures): PNGs with any
/// bit depth / colour type (16-bit, palette, gray, 1×1), a real 12,000×12,000 decompression bomb, truncated PNG and
/// JPEG, a hand-made 4-component (CMYK, Adobe) JPEG, and headers that lie.
/// </summary>
internal static class CraftedImages
{
    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/>: colour type 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.</summary>
    public static byte[] Png(int width, int height, int bitDepth = 8, int colorType = 2, Func<int, int, byte>? pixel = null)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colorType)) };
        int bytesPerSample = bitDepth == 16 ? 2 : 1;
        int rowBytes = width * channels * bytesPerSample;
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + rowBytes];
            for (int y = 0; y < height; y++)
            {
                if (pixel is not null)
                    for (int x = 0; x < width; x++)
                        for (int c = 0; c < channels * bytesPerSample; c++)
                            row[1 + (x * channels * bytesPerSample) + c] = colorType == 3 ? (byte)(pixel(x, y) % 2) : pixel(x, y);
                z.Write(row);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        Chunk(png, "IHDR", ihdr);
        if (colorType == 3) Chunk(png, "PLTE", [0, 0, 0, 255, 255, 255]);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A black-on-white RGB PNG with a bar pattern (decodable, 8-bit), encoded by SkiaSharp.</summary>
    public static byte[] Picture(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black };
            for (int x = 2; x < width - 2; x += 6) canvas.DrawRect(x, height / 4f, 3, height / 2f, paint);
        }
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>The first <paramref name="fraction"/> of <paramref name="bytes"/>: a file cut off by a failed copy.</summary>
    public static byte[] Truncate(byte[] bytes, double fraction = 0.6) => bytes[..(int)(bytes.Length * fraction)];

    /// <summary>A 12,000×12,000 grayscale PNG (~140 KB on disk, 144 MB of pixels; 576 MB as RGBA).</summary>
    public static byte[] Bomb() => Png(12_000, 12_000, colorType: 0);

    /// <summary>A PNG whose IHDR claims 0×0 pixels.</summary>
    public static byte[] ZeroSizePng()
    {
        var png = Png(4, 4);
        png[16] = png[17] = png[18] = png[19] = 0;
        png[20] = png[21] = png[22] = png[23] = 0;
        return png;
    }

    /// <summary>
    /// A baseline JPEG with four components and an Adobe APP14 marker (CMYK, no transform), 8×8 pixels, every block
    /// flat: one-code Huffman tables for DC category 0 and AC end-of-block.
    /// </summary>
    public static byte[] CmykJpeg()
    {
        using var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);
        Segment(s, 0xEE, [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 0]);
        var dqt = new byte[65];
        Array.Fill(dqt, (byte)1);
        dqt[0] = 0;
        Segment(s, 0xDB, dqt);
        Segment(s, 0xC0, [8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        var dht = new byte[1 + 16 + 1];
        dht[1] = 1; // one code of length 1
        dht[0] = 0x00;
        Segment(s, 0xC4, dht);
        dht = (byte[])dht.Clone();
        dht[0] = 0x10;
        Segment(s, 0xC4, dht);
        Segment(s, 0xDA, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]);
        s.Write([0x00]); // 4 blocks × (DC "0" + EOB "0") = 8 zero bits
        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    /// <summary>A JPEG whose frame header claims 60,000×60,000 pixels (a header-only bomb).</summary>
    public static byte[] HugeJpegHeader()
    {
        var jpeg = CmykJpeg();
        int sof = IndexOf(jpeg, [0xFF, 0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60_000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60_000);
        return jpeg;
    }

    private static int IndexOf(byte[] data, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Length; i++)
            if (data.AsSpan(i, pattern.Length).SequenceEqual(pattern)) return i;
        return -1;
    }

    private static void Segment(Stream s, byte marker, byte[] payload)
    {
        s.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        s.Write(payload);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crcInput = typeBytes.Concat(data).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(crcInput));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
