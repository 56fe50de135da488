using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Dptr.MLNet.MLNet.Persistence;

/// <summary>Reads back what <see cref="ModelWriter"/> wrote; refuses newer formats with a clear message.</summary>
internal sealed class ModelReader
{
    private readonly ModelLoadContext _ctx;

    internal ModelReader(IHostEnvironment env, ModelLoadContext ctx)
    {
        Environment = env;
        _ctx = ctx;
    }

    /// <summary>The environment the model is loaded into.</summary>
    public IHostEnvironment Environment { get; }

    /// <summary>
    /// Reads the self-description written by <see cref="ModelWriter.WriteDescription"/>, checks kind and format
    /// version, and returns the config object.
    /// </summary>
    public T ReadDescription<T>(string expectedKind, int supportedFormatVersion)
    {
        int version = _ctx.Reader.ReadInt32();
        string? json = null;
        _ctx.TryLoadTextStream("Dptr.json", r => json = r.ReadToEnd());
        if (json is null) throw new InvalidDataException($"model '{expectedKind}' has no Dptr.json description: the zip is damaged or not a Dptr.MLNet model");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string kind = root.GetProperty("kind").GetString() ?? "";
        string writtenBy = root.TryGetProperty("libraryVersion", out var lv) ? lv.ToString() : "unknown";
        if (kind != expectedKind) throw new InvalidDataException($"model part is a '{kind}', expected '{expectedKind}'");
        int described = root.TryGetProperty("formatVersion", out var fv) && fv.TryGetInt32(out int f) ? f : version;
        version = Math.Max(version, described);
        if (version > supportedFormatVersion)
            throw new NotSupportedException(
                $"this '{kind}' model uses format version {version} (written by Dptr.MLNet {writtenBy}); this Dptr.MLNet " +
                $"({typeof(ModelReader).Assembly.GetName().Version}) reads format versions up to {supportedFormatVersion}. Upgrade Dptr.MLNet to load it.");
        return root.GetProperty("config").Deserialize<T>(PersistenceJson.Options)
               ?? throw new InvalidDataException($"model '{kind}' has an empty config");
    }

    /// <summary>Reads a UTF-8 text stream written by <see cref="ModelWriter.WriteText"/>.</summary>
    public string ReadText(string name)
    {
        string? text = null;
        if (!_ctx.TryLoadBinaryStream(name, r => text = Encoding.UTF8.GetString(r.ReadBytes((int)r.BaseStream.Length))))
            throw new InvalidDataException($"model stream '{name}' is missing");
        return text!;
    }

    /// <summary>Reads a binary stream.</summary>
    public void ReadBinary(string name, Action<BinaryReader> read)
    {
        if (!_ctx.TryLoadBinaryStream(name, read)) throw new InvalidDataException($"model stream '{name}' is missing");
    }

    /// <summary>Copies a binary stream written by <see cref="ModelWriter.WriteFile"/> to a file (streamed).</summary>
    public void ReadToFile(string name, string path) => ReadBinary(name, r =>
    {
        using var file = File.Create(path);
        r.BaseStream.CopyTo(file);
    });

    /// <summary>Loads a TorchSharp module's parameters saved by <see cref="ModelWriter.WriteModule"/> (shapes must match).</summary>
    public void ReadModule(string name, TorchSharp.torch.nn.Module module)
    {
        ReadBinary(name, r => module.load(r, strict: true));
    }
}
