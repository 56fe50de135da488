using System.Text;
using System.Text.Json;
using Microsoft.ML;

namespace Dptr.MLNet.MLNet.Persistence;

/// <summary>
/// What a Dptr transformer writes into an ML.NET model zip. Every model directory holds
/// <c>Dptr.json</c> (self-description: kind, format version, library version, the transformer's own config)
/// and any number of named binary streams (TorchSharp weights, tensors).
/// </summary>
internal sealed class ModelWriter
{
    private readonly ModelSaveContext _ctx;

    internal ModelWriter(ModelSaveContext ctx) => _ctx = ctx;

    /// <summary>Writes the self-description and the config object as JSON (stream <c>Dptr.json</c>).</summary>
    public void WriteDescription(string kind, int formatVersion, object config)
    {
        var doc = new Dictionary<string, object?>
        {
            ["kind"] = kind,
            ["formatVersion"] = formatVersion,
            ["library"] = "Dptr.MLNet",
            ["libraryVersion"] = typeof(ModelWriter).Assembly.GetName().Version?.ToString(),
            ["torchSharpVersion"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
            ["config"] = config,
        };
        string json = JsonSerializer.Serialize(doc, PersistenceJson.Options);
        _ctx.SaveTextStream("Dptr.json", w => w.Write(json));
        // The main model stream carries the format version too, so a reader can refuse before parsing anything.
        _ctx.Writer.Write(formatVersion);
    }

    /// <summary>Writes a UTF-8 text stream.</summary>
    public void WriteText(string name, string text) => _ctx.SaveBinaryStream(name, w => w.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes a binary stream.</summary>
    public void WriteBinary(string name, Action<BinaryWriter> write) => _ctx.SaveBinaryStream(name, write);

    /// <summary>Copies a file into a binary stream (streamed, not loaded whole).</summary>
    public void WriteFile(string name, string path) => _ctx.SaveBinaryStream(name, w =>
    {
        using var file = File.OpenRead(path);
        w.Flush();
        file.CopyTo(w.BaseStream);
    });

    /// <summary>Writes a TorchSharp module's parameters and buffers (its <c>save</c> format).</summary>
    public void WriteModule(string name, TorchSharp.torch.nn.Module module) => _ctx.SaveBinaryStream(name, w => module.save(w));
}

/// <summary>JSON settings shared by everything the library persists.</summary>
internal static class PersistenceJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        IncludeFields = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
