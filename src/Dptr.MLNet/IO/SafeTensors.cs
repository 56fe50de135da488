using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.IO;

/// <summary>
/// Reader/writer for the Hugging Face <c>safetensors</c> format: an 8-byte little-endian header length,
/// a UTF-8 JSON header (<c>{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {string: string}}</c>)
/// and the raw little-endian tensor bytes, offsets relative to the end of the header.
/// </summary>
internal static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Contents of a safetensors file.</summary>
    internal sealed class Contents(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) : IDisposable
    {
        /// <summary>Tensors by name, in file order of their names (ordinal).</summary>
        public Dictionary<string, Tensor> Tensors { get; } = tensors;

        /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
        public Dictionary<string, string> Metadata { get; } = metadata;

        /// <summary>The dtype each tensor had in the file (e.g. <c>F16</c>).</summary>
        public Dictionary<string, string> StoredDTypes { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            foreach (var t in Tensors.Values) t.Dispose();
            Tensors.Clear();
        }
    }

    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new(StringComparer.Ordinal)
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    private static string DTypeName(ScalarType type) =>
        DTypes.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new NotSupportedException($"safetensors: tensor dtype {type} is not supported for writing.");

    /// <summary>
    /// Reads a safetensors file. Floating-point tensors are converted to <paramref name="floatType"/> when given;
    /// integer tensors keep their type. Tensors are created on the CPU.
    /// </summary>
    /// <exception cref="InvalidDataException">Truncated file, malformed header, unknown dtype, bad offsets.</exception>
    public static Contents Read(string path, ScalarType? floatType = ScalarType.Float32)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: '{path}'.", path);
        CheckLittleEndian();
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        if (fileLength < 8) throw new InvalidDataException($"'{path}' is not a safetensors file: {fileLength} bytes, the 8-byte header length is missing (truncated?).");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)MaxHeaderBytes || (long)headerLen > fileLength - 8)
            throw new InvalidDataException($"'{path}': header length {headerLen} exceeds the file ({fileLength} bytes) or the 100 MiB limit; the file is truncated or not safetensors.");
        var headerBytes = new byte[headerLen];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLen;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes); }
        catch (JsonException ex) { throw new InvalidDataException($"'{path}': the safetensors JSON header is malformed: {ex.Message}", ex); }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new Contents(tensors, metadata);
        try
        {
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"'{path}': the safetensors header must be a JSON object.");
                foreach (var prop in doc.RootElement.EnumerateObject())
                {
                    if (prop.Name == MetadataKey)
                    {
                        if (prop.Value.ValueKind != JsonValueKind.Object)
                            throw new InvalidDataException($"'{path}': '__metadata__' must be an object of strings.");
                        foreach (var m in prop.Value.EnumerateObject())
                        {
                            if (m.Value.ValueKind != JsonValueKind.String)
                                throw new InvalidDataException($"'{path}': metadata value '{m.Name}' must be a string.");
                            metadata[m.Name] = m.Value.GetString()!;
                        }
                        continue;
                    }
                    var (tensor, dtypeName) = ReadTensor(path, prop, stream, dataStart, dataLength, floatType);
                    tensors[prop.Name] = tensor;
                    result.StoredDTypes[prop.Name] = dtypeName;
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static (Tensor, string) ReadTensor(string path, JsonProperty prop, FileStream stream, long dataStart, long dataLength, ScalarType? floatType)
    {
        string name = prop.Name;
        var e = prop.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"'{path}': tensor '{name}' needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end]).");
        string dtype = dtypeEl.GetString()!;
        if (!DTypes.TryGetValue(dtype, out var info))
            throw new InvalidDataException($"'{path}': tensor '{name}' has unsupported dtype '{dtype}' (supported: {string.Join(", ", DTypes.Keys)}).");
        long[] shape;
        try { shape = shapeEl.EnumerateArray().Select(x => x.GetInt64()).ToArray(); }
        catch (FormatException) { throw new InvalidDataException($"'{path}': tensor '{name}' has a non-integer shape."); }
        if (shape.Any(s => s < 0)) throw new InvalidDataException($"'{path}': tensor '{name}' has a negative dimension.");
        long begin, end;
        try { begin = offEl[0].GetInt64(); end = offEl[1].GetInt64(); }
        catch (FormatException) { throw new InvalidDataException($"'{path}': tensor '{name}' has non-integer data_offsets."); }
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long bytes = count * info.Size;
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"'{path}': tensor '{name}' data_offsets [{begin}, {end}] lie outside the data section ({dataLength} bytes); the file is truncated or corrupt.");
        if (end - begin != bytes)
            throw new InvalidDataException($"'{path}': tensor '{name}' ({dtype} [{string.Join(",", shape)}]) needs {bytes} bytes but data_offsets span {end - begin}.");

        var buffer = new byte[bytes];
        stream.Seek(dataStart + begin, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        var raw = torch.empty(shape, info.Type);
        if (bytes > 0) raw.bytes = buffer;
        bool isFloat = info.Type is ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16;
        if (isFloat && floatType is { } ft && ft != info.Type)
        {
            var converted = raw.to_type(ft);
            raw.Dispose();
            return (converted, dtype);
        }
        return (raw, dtype);
    }

    /// <summary>
    /// Writes tensors (any device; copied to CPU, made contiguous) and optional metadata to <paramref name="path"/>,
    /// atomically (temporary file in the same folder, then rename). Names are written in ordinal order.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        CheckLittleEndian();
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (names.Contains(MetadataKey)) throw new ArgumentException($"A tensor may not be named '{MetadataKey}'.", nameof(tensors));

        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 }) header[MetadataKey] = metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            long size = t.NumberOfElements * t.ElementSize;
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeName(t.dtype),
                ["shape"] = t.shape,
                ["data_offsets"] = new[] { offset, offset + size },
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        // Pad the header with spaces to an 8-byte boundary, as the reference implementation does.
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < padded; i++) headerBytes[i] = (byte)' ';

        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                fs.Write(len);
                fs.Write(headerBytes);
                foreach (var name in names)
                {
                    using var cpu = tensors[name].detach().cpu().contiguous();
                    if (cpu.NumberOfElements > 0) fs.Write(cpu.bytes);
                }
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            throw;
        }
    }

    private static void CheckLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors I/O requires a little-endian machine.");
    }
}
