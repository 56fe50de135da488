namespace Dptr.MLNet.Data;

/// <summary>Samples of one or more LMDB environments, concatenated in folder order.</summary>
internal sealed class LmdbSampleSource : ISampleSource, IDisposable
{
    private readonly LmdbDatasetReader[] _readers;
    private readonly long[] _offsets; // global 0-based row where each environment starts

    public LmdbSampleSource(string root)
    {
        var dirs = LmdbDatasetFinder.Find(root);
        var readers = new List<LmdbDatasetReader>();
        try
        {
            foreach (var d in dirs) readers.Add(new LmdbDatasetReader(d));
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
        _readers = [.. readers];
        _offsets = new long[_readers.Length + 1];
        for (int i = 0; i < _readers.Length; i++) _offsets[i + 1] = _offsets[i] + _readers[i].NumSamples;
    }

    public IReadOnlyList<string> Environments => _readers.Select(r => r.Directory).ToArray();

    public long Count => _offsets[^1];

    public bool HasImagePaths => false;

    public ISampleReader OpenReader() => new Reader(this);

    public void Dispose()
    {
        foreach (var r in _readers) r.Dispose();
    }

    private (int env, long index) Locate(long row)
    {
        int env = Array.BinarySearch(_offsets, row);
        if (env < 0) env = ~env - 1;
        while (env + 1 < _offsets.Length - 1 && _offsets[env + 1] <= row) env++; // skip empty environments
        return (env, row - _offsets[env] + 1);
    }

    private sealed class Reader(LmdbSampleSource source) : ISampleReader
    {
        private int _env = -1;
        private LmdbDatasetReader.Session? _session;

        public string ReadLabel(long row)
        {
            var (reader, index) = Enter(row);
            return reader.ReadLabel(_session!, index);
        }

        public byte[] ReadImage(long row)
        {
            var (reader, index) = Enter(row);
            return reader.ReadImage(_session!, index);
        }

        public string ImagePath(long row) => throw new NotSupportedException("LMDB datasets have no image paths.");

        public string Describe(long row)
        {
            var (env, index) = source.Locate(row);
            return $"'{source._readers[env].Directory}' key '{LmdbKeys.ImageName(index)}'/'{LmdbKeys.LabelName(index)}'";
        }

        private (LmdbDatasetReader reader, long index) Enter(long row)
        {
            var (env, index) = source.Locate(row);
            if (env != _env)
            {
                Close();
                _session = source._readers[env].OpenSession();
                _env = env;
            }
            return (source._readers[env], index);
        }

        private void Close()
        {
            _session?.Dispose();
            _session = null;
            _env = -1;
        }

        public void Dispose() => Close();
    }
}
