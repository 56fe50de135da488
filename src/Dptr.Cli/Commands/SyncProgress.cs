namespace Dptr.Cli.Commands;

/// <summary>An <see cref="IProgress{T}"/> that calls its handler on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
