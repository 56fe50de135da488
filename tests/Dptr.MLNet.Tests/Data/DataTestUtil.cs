using Dptr.MLNet.Data;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Data;

internal static class DataTestUtil
{
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dptr-data-tests", Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A small PNG whose pixel (0,0) colour encodes <paramref name="seed"/>.</summary>
    public static byte[] Png(int width, int height, byte seed)
    {
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bmp.SetPixel(x, y, new SKColor(seed, (byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1))));
        return SyntheticTextRenderer.EncodePng(bmp);
    }

    public static List<(string label, byte[] bytes)> ReadAll(Microsoft.ML.IDataView view, bool withBytes)
    {
        var rows = new List<(string, byte[])>();
        var labelCol = view.Schema["Label"];
        var cols = withBytes ? new[] { labelCol, view.Schema["ImageBytes"] } : [labelCol];
        using var cursor = view.GetRowCursor(cols);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(labelCol);
        var bytes = withBytes ? cursor.GetGetter<Microsoft.ML.Data.VBuffer<byte>>(view.Schema["ImageBytes"]) : null;
        while (cursor.MoveNext())
        {
            ReadOnlyMemory<char> l = default;
            label(ref l);
            Microsoft.ML.Data.VBuffer<byte> b = default;
            bytes?.Invoke(ref b);
            rows.Add((l.ToString(), withBytes ? b.DenseValues().ToArray() : []));
        }
        return rows;
    }

    public static string? SharedData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
            dir = dir.Parent;
        }
        return null;
    }
}
