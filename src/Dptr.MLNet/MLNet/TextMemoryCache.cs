using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Dptr.MLNet.MLNet;

/// <summary>
/// Prompt → DPTR memory cache. CLIP is frozen (spec §1), so a prompt's memory never changes for a given model:
/// each distinct prompt is encoded once and reused across epochs. Keys include the model fingerprint, so a
/// disk cache is never reused across different weights.
/// </summary>
internal sealed class TextMemoryCache
{
    private readonly ConcurrentDictionary<string, float[]> _memory = new(StringComparer.Ordinal);
    private readonly string? _directory;
    private readonly int _length;

    public TextMemoryCache(TextMemoryCacheMode mode, string? directory, string modelFingerprint, int length)
    {
        Mode = mode;
        _length = length;
        if (mode == TextMemoryCacheMode.Disk)
        {
            if (string.IsNullOrWhiteSpace(directory))
                throw new ArgumentException("TextMemoryCacheMode.Disk needs ClipTextEmbeddingOptions.CacheDirectory.");
            _directory = Path.Combine(directory, modelFingerprint[..16]);
            Directory.CreateDirectory(_directory);
        }
    }

    public TextMemoryCacheMode Mode { get; }

    private long _hits;
    private long _misses;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public bool TryGet(string prompt, out float[] memory)
    {
        memory = null!;
        if (Mode == TextMemoryCacheMode.None) return false;
        if (_memory.TryGetValue(prompt, out var found))
        {
            Interlocked.Increment(ref _hits);
            memory = found;
            return true;
        }
        if (_directory != null)
        {
            string path = PathFor(prompt);
            if (File.Exists(path))
            {
                byte[] bytes = File.ReadAllBytes(path);
                if (bytes.Length == _length * sizeof(float))
                {
                    memory = new float[_length];
                    Buffer.BlockCopy(bytes, 0, memory, 0, bytes.Length);
                    _memory[prompt] = memory;
                    Interlocked.Increment(ref _hits);
                    return true;
                }
            }
        }
        Interlocked.Increment(ref _misses);
        return false;
    }

    public void Add(string prompt, float[] memory)
    {
        if (Mode == TextMemoryCacheMode.None) return;
        _memory[prompt] = memory;
        if (_directory != null)
        {
            string path = PathFor(prompt);
            string temp = path + $".{Environment.ProcessId}.tmp";
            byte[] bytes = new byte[memory.Length * sizeof(float)];
            Buffer.BlockCopy(memory, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
    }

    private string PathFor(string prompt)
        => Path.Combine(_directory!, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))) + ".f32");
}
