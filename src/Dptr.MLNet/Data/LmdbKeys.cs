using System.Globalization;
using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>Key names of the STR LMDB layout used by PARSeq, OpenOCR and MMOCR (1-based indices).</summary>
internal static class LmdbKeys
{
    public const string NumSamples = "num-samples";

    public static byte[] Image(long index) => Encoding.ASCII.GetBytes(ImageName(index));

    public static byte[] Label(long index) => Encoding.ASCII.GetBytes(LabelName(index));

    public static string ImageName(long index) => "image-" + index.ToString("D9", CultureInfo.InvariantCulture);

    public static string LabelName(long index) => "label-" + index.ToString("D9", CultureInfo.InvariantCulture);
}
