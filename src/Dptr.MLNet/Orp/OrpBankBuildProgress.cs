namespace Dptr.MLNet;

/// <summary>Progress of building an <see cref="OrpBank"/>.</summary>
/// <param name="Done">Images processed (encoded or skipped).</param>
/// <param name="Total">Images found.</param>
/// <param name="Skipped">Unreadable images skipped so far.</param>
public sealed record OrpBankBuildProgress(int Done, int Total, int Skipped);
