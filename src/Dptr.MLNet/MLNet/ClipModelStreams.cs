using Dptr.MLNet.Clip;
using Dptr.MLNet.MLNet.Persistence;

namespace Dptr.MLNet.MLNet;

/// <summary>Stores a <see cref="ClipModel"/> folder (config, safetensors weights, tokenizer files) as streams of a model zip.</summary>
internal static class ClipModelStreams
{
    private static readonly string[] Files = [ClipModel.ConfigFileName, ClipModel.WeightsFileName, "vocab.json", "merges.txt"];

    public static void Write(ModelWriter writer, ClipModel clip, string prefix)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"dptr-clip-{Guid.NewGuid():N}");
        try
        {
            clip.Save(temp);
            var present = Files.Where(f => File.Exists(Path.Combine(temp, f))).ToList();
            writer.WriteText(prefix + "Files.txt", string.Join('\n', present));
            foreach (string f in present) writer.WriteFile(prefix + f, Path.Combine(temp, f));
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    public static ClipModel Read(ModelReader reader, string prefix, TorchSharp.torch.Device device)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"dptr-clip-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            foreach (string f in reader.ReadText(prefix + "Files.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Files.Contains(f)) throw new InvalidDataException($"unexpected CLIP file '{f}' in the model zip");
                reader.ReadToFile(prefix + f, Path.Combine(temp, f));
            }
            return ClipModel.Load(temp, device);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
